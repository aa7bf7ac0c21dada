// Ory Keto v26.2.0, Ory Permission Language: QuantVista's namespaces (docs/access.md).
//
// The same model as keto.yml's namespace list, with the types written down: every relation
// here is a stored relation (no `permits` rewrites), so the tuples QuantVista writes, and the
// answers Keto gives, are exactly those of the classic configuration. Checks keep working in
// strict mode too, because each relation that holds subject sets declares them.
//
// Subjects are plain subject ids (Kratos identity ids), as in the classic configuration.

import { Namespace, SubjectSet } from "@ory/keto-namespace-types"

class User implements Namespace {}

// roles:<role>#member@<user>
class roles implements Namespace {
  related: {
    member: User[]
  }
}

// accounts:<id>#trader@<user>, accounts:<id>#viewer@<user>; the permissions view and trade are
// granted to subject sets when the account is first granted.
class accounts implements Namespace {
  related: {
    trader: User[]
    viewer: User[]
    view: (SubjectSet<accounts, "trader"> | SubjectSet<accounts, "viewer"> | SubjectSet<roles, "member">)[]
    trade: SubjectSet<accounts, "trader">[]
  }
}

// platform:quantvista#<permission>@(roles:<role>#member)
class platform implements Namespace {
  related: {
    read_all_accounts: SubjectSet<roles, "member">[]
    audit: SubjectSet<roles, "member">[]
    regulatory_reports: SubjectSet<roles, "member">[]
    order_records: SubjectSet<roles, "member">[]
    kill_switch: SubjectSet<roles, "member">[]
    risk_limits: SubjectSet<roles, "member">[]
    models: SubjectSet<roles, "member">[]
    administer: SubjectSet<roles, "member">[]
  }
}
