-- Read models (CQRS query side). Every table here is disposable: `quantvista projections rebuild`
-- drops it and folds it again from the event stores. Money and quantities are NUMERIC (exact),
-- timestamps are UTC nanoseconds (BIGINT) taken from the event's ts_event (simulated clock), never
-- from the wall clock, so a replay of the same log yields the same rows.
--
-- `seq` columns hold the store position of the event that created the row (`updated_seq`: of the
-- last event that changed it). Positions follow commit order and the projections apply events in
-- position order, so a new row always sorts after every row already there: lists page by `seq`
-- (never by a business timestamp, which a late manual order can place before a saved cursor), and
-- subscriptions resume from a `seq`. A change to this file raises READ_MODEL_VERSION
-- (projections/registry.py): read models of an older version are dropped and rebuilt from the log.

CREATE TABLE IF NOT EXISTS rm_instruments (
    instrument_id  TEXT PRIMARY KEY,          -- symbol, e.g. 'AAPL'
    isin           TEXT NOT NULL,
    mic            TEXT NOT NULL,
    currency       TEXT NOT NULL,
    name           TEXT NOT NULL,
    last_price     NUMERIC,                   -- close of the latest bar by ts_event
    last_bar_ts    BIGINT,
    lot_size       NUMERIC NOT NULL,
    tick_size      NUMERIC NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_bars (
    instrument_id  TEXT NOT NULL,
    ts_event       BIGINT NOT NULL,
    open           NUMERIC NOT NULL,
    high           NUMERIC NOT NULL,
    low            NUMERIC NOT NULL,
    close          NUMERIC NOT NULL,
    volume         NUMERIC NOT NULL,
    seq            BIGINT NOT NULL,           -- ingestion position of the BarClosed
    PRIMARY KEY (instrument_id, ts_event)
);
CREATE INDEX IF NOT EXISTS rm_bars_by_seq ON rm_bars (instrument_id, seq);

CREATE TABLE IF NOT EXISTS rm_quarantine (
    source         TEXT NOT NULL,             -- file name or feed name
    line           BIGINT NOT NULL,           -- 1-based line / sequence number in the source
    instrument_id  TEXT,
    ts_event       BIGINT,
    reason         TEXT NOT NULL,
    raw            JSONB NOT NULL,
    seq            BIGINT NOT NULL,           -- ingestion position of the BarQuarantined
    PRIMARY KEY (source, line)
);
CREATE UNIQUE INDEX IF NOT EXISTS rm_quarantine_by_seq ON rm_quarantine (seq);

CREATE TABLE IF NOT EXISTS rm_predictions (
    instrument_id   TEXT NOT NULL,
    ts_event        BIGINT NOT NULL,
    probability_up  DOUBLE PRECISION NOT NULL,
    model_version   TEXT NOT NULL,            -- the model id (family + weights' sha256 prefix)
    registry_version INTEGER NOT NULL,        -- the family's version in the registry
    feature_hash    TEXT NOT NULL,            -- the vector the model read ('' before fs-2)
    forecasts       JSONB NOT NULL,           -- [{horizon, down, neutral, up}, ...]
    PRIMARY KEY (instrument_id, ts_event)
);

CREATE TABLE IF NOT EXISTS rm_orders (
    order_id            UUID PRIMARY KEY,
    account_id          TEXT NOT NULL,
    instrument_id       TEXT NOT NULL,
    side                TEXT NOT NULL,        -- BUY | SELL
    order_type          TEXT NOT NULL,        -- MARKET | LIMIT | STOP | STOP_LIMIT | MARKET_IF_TOUCHED | LIMIT_IF_TOUCHED | TRAILING_STOP
    quantity            NUMERIC NOT NULL,
    limit_price         NUMERIC,
    stop_price          NUMERIC,              -- the trigger as submitted (stop, stop-limit, MIT, LIT)
    trail_amount        NUMERIC,              -- a trailing stop's trail, by amount
    trail_percent       NUMERIC,              -- or by percentage
    trigger_price       NUMERIC,              -- where the trigger stands (a trailing stop's moves), or was crossed
    ts_triggered        BIGINT,               -- when it was triggered (OrderTriggered); NULL: not (yet)
    post_only           BOOLEAN NOT NULL DEFAULT FALSE,
    reduce_only         BOOLEAN NOT NULL DEFAULT FALSE,
    oco_group           UUID,                 -- the one-cancels-other group it belongs to; NULL: none
    parent_order_id     UUID,                 -- a one-triggers-other child's parent; NULL: none
    ts_activated        BIGINT,               -- when a held child went to the venue (OrderActivated)
    pending_request     TEXT,                 -- CANCEL | REPLACE sent to a FIX broker, not answered; NULL: none
    status              TEXT NOT NULL,        -- HELD | NEW | ACCEPTED | TRIGGERED | PARTIALLY_FILLED | FILLED | CANCELLED | REJECTED
    filled_quantity     NUMERIC NOT NULL,
    average_fill_price  NUMERIC,
    reject_reason       TEXT,
    breaches            JSONB NOT NULL DEFAULT '[]', -- [{control, limit, value}] of a rejection
    origin              TEXT NOT NULL,        -- STRATEGY | MANUAL
    decision_id         UUID,                 -- the TradeDecided event that caused it (strategy orders)
    algo_id             TEXT,                 -- the deciding algorithm (strategy orders)
    actor               TEXT NOT NULL,        -- who submitted it: person:<subject> or algo:<id>
    time_in_force       TEXT NOT NULL,        -- DAY | GTC | GTD | IOC | FOK
    expire_at           BIGINT,               -- DAY/GTD: expires at the first bar starting at/after it
    ts_submitted        BIGINT NOT NULL,
    ts_updated          BIGINT NOT NULL,
    version             INTEGER NOT NULL,
    seq                 BIGINT NOT NULL,      -- execution position of the OrderSubmitted
    updated_seq         BIGINT NOT NULL       -- execution position of the last event applied
);
CREATE UNIQUE INDEX IF NOT EXISTS rm_orders_by_seq ON rm_orders (account_id, seq);
CREATE INDEX IF NOT EXISTS rm_orders_by_update ON rm_orders (account_id, updated_seq);
CREATE INDEX IF NOT EXISTS rm_orders_by_oco_group ON rm_orders (oco_group) WHERE oco_group IS NOT NULL;
CREATE INDEX IF NOT EXISTS rm_orders_by_parent ON rm_orders (parent_order_id)
    WHERE parent_order_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS rm_order_events (
    order_id     UUID NOT NULL,
    version      INTEGER NOT NULL,
    event_type   TEXT NOT NULL,
    ts_event     BIGINT NOT NULL,
    payload      JSONB NOT NULL,
    seq          BIGINT NOT NULL,             -- execution position of the event
    PRIMARY KEY (order_id, version)
);

CREATE TABLE IF NOT EXISTS rm_fills (
    order_id       UUID NOT NULL,
    fill_seq       INTEGER NOT NULL,
    account_id     TEXT NOT NULL,
    instrument_id  TEXT NOT NULL,
    side           TEXT NOT NULL,
    quantity       NUMERIC NOT NULL,
    price          NUMERIC NOT NULL,
    fee            NUMERIC NOT NULL,
    ts_event       BIGINT NOT NULL,
    seq            BIGINT NOT NULL,           -- execution position of the OrderFilled
    corrected_seq  BIGINT,                    -- of the last OrderFillCorrected; NULL: as filled
    PRIMARY KEY (order_id, fill_seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS rm_fills_by_seq ON rm_fills (account_id, seq);

CREATE TABLE IF NOT EXISTS rm_positions (
    account_id      TEXT NOT NULL,
    instrument_id   TEXT NOT NULL,
    quantity        NUMERIC NOT NULL,
    average_price   NUMERIC NOT NULL,     -- display: |cost_basis / quantity|, 6 decimals
    cost_basis      NUMERIC NOT NULL,     -- signed sum of quantity x price of the open position
    realised_pnl    NUMERIC NOT NULL,
    updated_seq     BIGINT NOT NULL,      -- execution position of the last FillBooked applied
    PRIMARY KEY (account_id, instrument_id)
);

-- The portfolio projection's own ledger of booked fills (prices as corrected): a correction of
-- a past fill re-folds that instrument's position from it.
CREATE TABLE IF NOT EXISTS rm_position_fills (
    account_id       TEXT NOT NULL,
    instrument_id    TEXT NOT NULL,
    order_id         UUID NOT NULL,
    fill_seq         INTEGER NOT NULL,
    signed_quantity  NUMERIC NOT NULL,
    price            NUMERIC NOT NULL,
    seq              BIGINT NOT NULL,      -- execution position of the FillBooked
    PRIMARY KEY (order_id, fill_seq)
);
CREATE INDEX IF NOT EXISTS rm_position_fills_by_instrument
    ON rm_position_fills (account_id, instrument_id, seq);

CREATE TABLE IF NOT EXISTS rm_portfolio (
    account_id      TEXT PRIMARY KEY,
    base_currency   TEXT NOT NULL,
    initial_cash    NUMERIC NOT NULL,
    cash            NUMERIC NOT NULL,
    fees_paid       NUMERIC NOT NULL,
    realised_pnl    NUMERIC NOT NULL,
    updated_seq     BIGINT NOT NULL       -- execution position of the last event applied
);

CREATE TABLE IF NOT EXISTS rm_event_index (
    event_id           UUID PRIMARY KEY,
    context            TEXT NOT NULL,         -- the store
    position           BIGINT NOT NULL,       -- in that store
    event_type         TEXT NOT NULL,
    schema_version     INTEGER NOT NULL,
    aggregate_id       UUID NOT NULL,
    aggregate_version  INTEGER NOT NULL,
    causation_id       UUID,                  -- the event that caused it
    correlation_id     UUID NOT NULL,         -- the first event of its chain
    ts_event           NUMERIC(30, 0) NOT NULL, -- any time the store took, even past BIGINT:
                                              -- the index leaves no event out
    ts_recorded        BIGINT NOT NULL,       -- wall clock at append (point-in-time replay)
    actor              TEXT NOT NULL,
    UNIQUE (context, position)
);
CREATE INDEX IF NOT EXISTS rm_event_index_by_cause ON rm_event_index (causation_id);
CREATE INDEX IF NOT EXISTS rm_event_index_by_chain ON rm_event_index (correlation_id);
CREATE INDEX IF NOT EXISTS rm_event_index_by_aggregate ON rm_event_index (aggregate_id, aggregate_version);
CREATE INDEX IF NOT EXISTS rm_event_index_by_type ON rm_event_index (context, event_type);

-- Notifications (projections/notifications.py): in-app notices, deliveries, preferences.
CREATE TABLE IF NOT EXISTS rm_notifications (
    notification_id  UUID PRIMARY KEY,
    recipient        TEXT NOT NULL,             -- the user told
    account_id       TEXT,                      -- null: an operational notification
    rule             TEXT NOT NULL,             -- fill, order_rejected, drawdown, ...
    severity         TEXT NOT NULL,             -- INFO | WARNING | CRITICAL
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    details          JSONB NOT NULL,
    ts_event         BIGINT NOT NULL,           -- domain time of the cause (UTC ns)
    read             BOOLEAN NOT NULL DEFAULT false,
    read_at          BIGINT,                    -- when it was marked read (UTC ns)
    seq              BIGINT NOT NULL,           -- support position of the NotificationRequested
    updated_seq      BIGINT NOT NULL            -- support position of the last event applied
);
CREATE UNIQUE INDEX IF NOT EXISTS rm_notifications_by_seq ON rm_notifications (recipient, seq);
CREATE INDEX IF NOT EXISTS rm_notifications_unread
    ON rm_notifications (recipient, seq) WHERE NOT read;

CREATE TABLE IF NOT EXISTS rm_notification_deliveries (
    notification_id  UUID NOT NULL,
    channel          TEXT NOT NULL,             -- webhook | email
    recipient        TEXT NOT NULL,
    status           TEXT NOT NULL,             -- PENDING | RETRYING | DELIVERED | FAILED
    attempts         INTEGER NOT NULL,
    status_code      INTEGER,                   -- HTTP status or SMTP reply of the last attempt
    last_error       TEXT,
    next_attempt_at  BIGINT,                    -- UTC ns; null unless RETRYING
    ts_updated       BIGINT NOT NULL,
    seq              BIGINT NOT NULL,
    updated_seq      BIGINT NOT NULL,
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX IF NOT EXISTS rm_notification_deliveries_by_status
    ON rm_notification_deliveries (status, updated_seq);

CREATE TABLE IF NOT EXISTS rm_notification_preferences (
    user_id      TEXT NOT NULL,
    rule         TEXT NOT NULL,                 -- a rule, or * for every rule
    channel      TEXT NOT NULL,                 -- in_app | webhook | email
    enabled      BOOLEAN NOT NULL,
    webhook_url  TEXT,
    secret_ref   TEXT,                          -- a reference (env:NAME), never the secret
    email        TEXT,
    ts_updated   BIGINT NOT NULL,
    updated_seq  BIGINT NOT NULL,
    PRIMARY KEY (user_id, rule, channel)
);

-- The RTS 6 controls in force (execution store): each scope's kill switch and pre-trade limits as
-- last changed, and every change in order, with who made it and why.
CREATE TABLE IF NOT EXISTS rm_kill_switches (
    scope        TEXT PRIMARY KEY,              -- firm | <kind>:<value>
    engaged      BOOLEAN NOT NULL,
    reason       TEXT NOT NULL,                 -- of the last engage or release
    actor        TEXT NOT NULL,                 -- person:<subject> who last changed it
    ts_updated   BIGINT NOT NULL,
    updated_seq  BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_risk_limits (
    scope                    TEXT PRIMARY KEY,
    max_order_quantity       NUMERIC,           -- NULL: no limit at this scope
    max_order_notional       NUMERIC,
    max_position_notional    NUMERIC,
    price_collar_pct         NUMERIC,
    max_messages_per_second  INTEGER,
    max_executions_per_minute INTEGER,
    rolling_collar_pct       NUMERIC,           -- with rolling_collar_window_s: both or neither
    rolling_collar_window_s  INTEGER,
    reason                   TEXT NOT NULL,
    actor                    TEXT NOT NULL,
    ts_updated               BIGINT NOT NULL,
    updated_seq              BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_control_changes (
    seq         BIGINT PRIMARY KEY,             -- execution position of the event
    event_type  TEXT NOT NULL,                  -- KillSwitchEngaged | KillSwitchReleased | RiskLimitsSet
    scope       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    ts_event    BIGINT NOT NULL,
    payload     JSONB NOT NULL
);

-- The model registry (projections/models.py): one row per model as the registry stands, and the
-- history of every registry change, training request, failure and drift reading.
CREATE TABLE IF NOT EXISTS rm_models (
    model_id          TEXT PRIMARY KEY,         -- <family>-<first 12 hex of the weights' sha256>
    family            TEXT NOT NULL,
    model_version     INTEGER NOT NULL,         -- the family's sequence in the registry
    status            TEXT NOT NULL,            -- candidate | champion | former-champion | retired
    request_id        TEXT NOT NULL,            -- the RetrainRequested it answers
    feature_set       TEXT NOT NULL,
    feature_names     TEXT[] NOT NULL,
    horizons          INTEGER[] NOT NULL,
    neutral_band      DOUBLE PRECISION NOT NULL,
    lookback          INTEGER NOT NULL,
    hyper_parameters  JSONB NOT NULL,
    seed              BIGINT NOT NULL,
    temperatures      DOUBLE PRECISION[] NOT NULL,
    window_start_ts   BIGINT NOT NULL,
    window_end_ts     BIGINT NOT NULL,
    instruments       TEXT[] NOT NULL,
    samples           INTEGER NOT NULL,
    folds             INTEGER NOT NULL,
    embargo_bars      INTEGER NOT NULL,
    holdout_from_ts   BIGINT NOT NULL,
    holdout_to_ts     BIGINT NOT NULL,
    metrics           JSONB NOT NULL,           -- per horizon: scores and reliability bins
    weights_sha256    TEXT NOT NULL,
    weights_bytes     INTEGER NOT NULL,
    trained_at        BIGINT NOT NULL,          -- ts_event of ModelTrained
    promoted_at       BIGINT,                   -- of its last ModelPromoted
    promotion_rule    TEXT,                     -- first | beats-champion | manual
    promoted_by       TEXT,                     -- the promotion's actor (algo or person:<subject>)
    promotion_note    TEXT,
    retired_at        BIGINT,
    retired_reason    TEXT,
    retired_by        TEXT,
    seq               BIGINT NOT NULL,          -- prediction position of ModelTrained
    updated_seq       BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS rm_model_changes (
    seq         BIGINT PRIMARY KEY,             -- prediction position of the event
    event_type  TEXT NOT NULL,                  -- RetrainRequested | ModelTrained | ModelTrainingFailed | ModelPromoted | ModelRetired | DriftDetected
    model_id    TEXT,                           -- the model it is about (none for a request or a failure)
    request_id  TEXT,                           -- the training request it belongs to
    reason      TEXT NOT NULL,                  -- a request's reason, a promotion's rule, a retirement's or failure's reason, the drift tests that fired
    actor       TEXT NOT NULL,
    ts_event    BIGINT NOT NULL,
    details     JSONB NOT NULL                  -- the event's figures (a training's summary; the others' payloads)
);
CREATE INDEX IF NOT EXISTS rm_model_changes_by_model ON rm_model_changes (model_id);
CREATE INDEX IF NOT EXISTS rm_model_changes_by_request ON rm_model_changes (request_id);

-- Feature vectors (projections/features.py): per instrument and bar, the vector the prediction
-- context builds from the intelligence events (the same builder), so a prediction's
-- feature_hash finds its row.
CREATE TABLE IF NOT EXISTS rm_features (
    instrument_id  TEXT NOT NULL,
    ts_end         BIGINT NOT NULL,
    feature_set    TEXT NOT NULL,
    feature_values DOUBLE PRECISION[] NOT NULL, -- in the feature set's order (docs/models.md)
    absent         TEXT[] NOT NULL,             -- optional inputs not known at the bar
    hash           TEXT NOT NULL,               -- what PriceDirectionPredicted.feature_hash names
    seq            BIGINT NOT NULL,             -- intelligence position of the bar's event
    PRIMARY KEY (instrument_id, ts_end)
);
CREATE INDEX IF NOT EXISTS rm_features_by_hash ON rm_features (hash);

-- The market's structure (intelligence context): every clustering of the universe, and every
-- regime change, keyed by the bar end the reading is stamped with.
CREATE TABLE IF NOT EXISTS rm_clusterings (
    ts_end       BIGINT PRIMARY KEY,
    session      TEXT NOT NULL,
    method       TEXT NOT NULL,
    window_bars  INTEGER NOT NULL,
    silhouette   DOUBLE PRECISION NOT NULL,
    clusters     JSONB NOT NULL,    -- [{label, members, silhouette}], by label
    assignments  JSONB NOT NULL,    -- {instrument: label}
    seq          BIGINT NOT NULL    -- intelligence position of the reading
);

CREATE TABLE IF NOT EXISTS rm_regimes (
    ts_end                  BIGINT PRIMARY KEY,
    session                 TEXT NOT NULL,
    model                   TEXT NOT NULL,
    regime                  TEXT NOT NULL,
    rank                    INTEGER NOT NULL,  -- 0 is the calmest
    states                  INTEGER NOT NULL,
    previous                TEXT,
    probability             DOUBLE PRECISION NOT NULL,
    probabilities           JSONB NOT NULL,    -- {regime: filtered probability}
    expected_duration_bars  DOUBLE PRECISION,
    observations            INTEGER NOT NULL,
    seq                     BIGINT NOT NULL
);
