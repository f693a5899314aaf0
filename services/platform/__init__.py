"""Shared platform code of the simulated system's services. Import the modules directly.

Stable API (other services depend on it; change only with their owners):

- `config`: `Settings.from_env(environ=None)` (SERVICE_NAME required; fields service, env,
  secrets_endpoint, secrets_prefix, database_host/port, broker_host/port/user,
  cache_host/port, auth_url, catalog_url, payments_url, http_port=8000, worker_port=8001,
  log_level); `.database_name` (`<service>_<env>`), `.secret_name(name)`.
- `secrets`: `SecretsClient(settings, deadline=30.0).get("cache/password") -> str`
  (SSM GetParameter WithDecryption, region us-east-1, dummy creds, timeouts, retried until
  the deadline, then `SecretsUnavailable`).
- `logging`: `configure_logging(service, level="INFO")`; `get_logger().info("event", k=v)`
  → one JSON line {ts, level, service, event, trace_id, span_id, k}. Also `.warning`,
  `.error`, `.exception`, `.debug`.
- `tracing`: OpenTelemetry: `setup_tracing(service)` (once per process: OTLP/HTTP export
  to OTEL_EXPORTER_OTLP_ENDPOINT, the FastAPI/Flask/httpx/psycopg/redis instrumentations),
  `span_from(carrier, name, kind=...)` (a span under a carried `traceparent`), `attached(carrier)`,
  `inject(headers)`, `current_trace_id()`, `current_span_id()`, `current_traceparent()`,
  `ensure_trace_id()`, `outbound_headers()` (traceparent + X-Trace-Id), `TRACE_HEADER`.
- `db`: `conninfo(settings, password)`, `await open_async_pool(settings, password,
  min_size=1, max_size=4, wait=False)`, `open_sync_pool(...)` (dict rows, connect_timeout
  3 s, statement_timeout 5 s, pool timeout 5 s).
- `broker`: `make_envelope(type, data, trace_id=None)`, `parse_envelope(body)`,
  `Broker(settings, password)`: `await connect()`, `is_ready()`, `await publish(envelope)`
  (exchange `events`, routing key = type, persistent, message_id, confirmed),
  `await consume(queue, handler, max_attempts=5)` (handler(envelope) async; manual ack;
  failures re-published with backoff, then rejected to the queue's DLX), `await close()`.
- `outbox`: (tables in `services/platform/schema.sql`); `add_event_sync(conn, type, data)` / `await add_event(conn, type,
  data)` inside the caller's transaction; `add_payload(conn, payload)` /
  `add_payload_sync(...)` for an `events.EventPayload`; `OutboxRelay(pool, publish).run(stop_event)`.
- `events`: `EventPayload` (pydantic; subclasses set `event_type` and register in
  `PAYLOADS`), `Envelope`, `envelope_model(payload)`; each publisher's models live in
  `services/<service>/events.py` (the AsyncAPI document is generated from them).
- `inbox`: (tables in `services/platform/schema.sql`); `await process_once(pool, envelope, effect) -> bool` (effect(conn,
  envelope) and the message id recorded in one transaction; False for a duplicate);
  `await claim(conn, envelope)`.
- `metrics`: `instrument_fastapi(app, service)`, `instrument_flask(app, service)` (trace
  context + http_requests_total / http_request_duration_seconds + GET /metrics),
  `EVENTS_CONSUMED`, `EVENTS_PUBLISHED`, `observe_message(...)` (events_consumed_total +
  event_handling_duration_seconds), `metrics_payload()`.
- `gauges`: `track_pool(pool, service)` (db_pool_size/available/waiting/max, read on scrape;
  `db` calls it), `OutboxBacklog(pool, service).run(stop)` (outbox_unsent_rows,
  outbox_oldest_unsent_age_seconds; every worker runs it).
- `health`: `add_fastapi_health(app, checks_fn)`, `add_flask_health(app, checks_fn)` where
  `checks_fn()` returns {name: check}; `db_check(pool)`, `sync_db_check(pool)`,
  `broker_check(broker)`, `redis_check(client)`, `run_checks`, `run_sync_checks`.
- `problem`: `ProblemError(status, title, detail, type_)`, `problem_body(...)`,
  `classify_exception(exc)`, `install_fastapi_handlers(app)`, `install_flask_handlers(app)`.
- `identity`: `Identity(user_id, client_id, roles, permissions)`, `.require_role(role)`,
  `.require_permission(permission)` (403), `identity_from_headers(headers)` (401 if
  X-User-Id is absent or the gateway's X-Identity-Proof is missing or invalid, once
  `install_identity_key(key)` ran: `create_app` does it from secret `gateway/identity_key`),
  `sign_proof`/`verify_proof`, `proven_headers(key, ...)` (tests), `fastapi_identity`
  (a FastAPI dependency), `flask_identity()`.
- `resources`: `await Resources.open(settings, database=True, broker=True)` → `.settings`,
  `.secrets`, `.pool`, `.broker`, `.extra`, `.checks`; `await res.close()`.
- `app`: `create_app(service, setup=None, database=True, broker=True)` (FastAPI with
  handlers, metrics, health; resources at `app.state.resources`), `resources` (dependency),
  `serve("services.x.app:app")` (uvicorn, 1 process, JSON logs).
- `worker`: `run_worker(queue=..., handle=async (res, envelope), setup=None, relay=True)`
  (consumer + outbox relay + health/metrics on WORKER_PORT, graceful SIGTERM).
"""
