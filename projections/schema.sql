-- Read models (CQRS query side). Every table here is disposable: `quantvista projections rebuild`
-- drops it and folds it again from the event stores. Money and quantities are NUMERIC (exact),
-- timestamps are UTC nanoseconds (BIGINT) taken from the event's ts_event (simulated clock), never
-- from the wall clock, so a replay of the same log yields the same rows.

CREATE TABLE IF NOT EXISTS rm_instruments (
    instrument_id  TEXT PRIMARY KEY,          -- symbol, e.g. 'AAPL'
    isin           TEXT NOT NULL,
    mic            TEXT NOT NULL,
    currency       TEXT NOT NULL,
    name           TEXT NOT NULL,
    last_price     NUMERIC,                   -- close of the latest bar by ts_event
    last_bar_ts    BIGINT
);

CREATE TABLE IF NOT EXISTS rm_bars (
    instrument_id  TEXT NOT NULL,
    ts_event       BIGINT NOT NULL,
    open           NUMERIC NOT NULL,
    high           NUMERIC NOT NULL,
    low            NUMERIC NOT NULL,
    close          NUMERIC NOT NULL,
    volume         NUMERIC NOT NULL,
    PRIMARY KEY (instrument_id, ts_event)
);

CREATE TABLE IF NOT EXISTS rm_quarantine (
    source         TEXT NOT NULL,             -- file name or feed name
    line           BIGINT NOT NULL,           -- 1-based line / sequence number in the source
    instrument_id  TEXT,
    ts_event       BIGINT,
    reason         TEXT NOT NULL,
    raw            JSONB NOT NULL,
    PRIMARY KEY (source, line)
);

CREATE TABLE IF NOT EXISTS rm_predictions (
    instrument_id   TEXT NOT NULL,
    ts_event        BIGINT NOT NULL,
    probability_up  DOUBLE PRECISION NOT NULL,
    model_version   TEXT NOT NULL,
    PRIMARY KEY (instrument_id, ts_event)
);

CREATE TABLE IF NOT EXISTS rm_orders (
    order_id            UUID PRIMARY KEY,
    account_id          TEXT NOT NULL,
    instrument_id       TEXT NOT NULL,
    side                TEXT NOT NULL,        -- BUY | SELL
    order_type          TEXT NOT NULL,        -- MARKET | LIMIT
    quantity            NUMERIC NOT NULL,
    limit_price         NUMERIC,
    status              TEXT NOT NULL,        -- NEW | ACCEPTED | PARTIALLY_FILLED | FILLED | CANCELLED | REJECTED
    filled_quantity     NUMERIC NOT NULL,
    average_fill_price  NUMERIC,
    reject_reason       TEXT,
    origin              TEXT NOT NULL,        -- STRATEGY | MANUAL
    decision_id         UUID,                 -- the TradeDecided event that caused it (strategy orders)
    ts_submitted        BIGINT NOT NULL,
    ts_updated          BIGINT NOT NULL,
    version             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_orders_by_account ON rm_orders (account_id, ts_submitted, order_id);

CREATE TABLE IF NOT EXISTS rm_order_events (
    order_id     UUID NOT NULL,
    version      INTEGER NOT NULL,
    event_type   TEXT NOT NULL,
    ts_event     BIGINT NOT NULL,
    payload      JSONB NOT NULL,
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
    PRIMARY KEY (order_id, fill_seq)
);

CREATE TABLE IF NOT EXISTS rm_positions (
    account_id      TEXT NOT NULL,
    instrument_id   TEXT NOT NULL,
    quantity        NUMERIC NOT NULL,
    average_price   NUMERIC NOT NULL,     -- display: |cost_basis / quantity|, 6 decimals
    cost_basis      NUMERIC NOT NULL,     -- signed sum of quantity x price of the open position
    realised_pnl    NUMERIC NOT NULL,
    PRIMARY KEY (account_id, instrument_id)
);

CREATE TABLE IF NOT EXISTS rm_portfolio (
    account_id      TEXT PRIMARY KEY,
    base_currency   TEXT NOT NULL,
    initial_cash    NUMERIC NOT NULL,
    cash            NUMERIC NOT NULL,
    fees_paid       NUMERIC NOT NULL,
    realised_pnl    NUMERIC NOT NULL
);
