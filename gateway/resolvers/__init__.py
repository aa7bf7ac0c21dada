"""Query and mutation logic, one topic per module; :mod:`gateway.schema` wires them to fields."""
