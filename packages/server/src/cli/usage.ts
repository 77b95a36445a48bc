/** The help text of the command line. */
export const USAGE = `Usage: smscx-oauth-server <command> [options]

Commands
  serve                                   run the token server
  apps create --name <name> [--scopes "sms groups"] [--expiration 1d|1w|never] [--json]
  apps list [--json]
  apps update <application_id> [--name <name>] [--scopes "sms groups"] [--expiration 1d|1w|never] [--json]
  apps show <application_id> [--json]
  apps disable <application_id> [--json]
  apps enable <application_id> [--json]
  apps delete <application_id> [--json]
  apps rotate-secret <application_id> [--grace <duration>] [--json]
                                          new secret (printed once); the old one keeps working for
                                          the grace (default 0 = stops at once; 90s, 15m, 24h, 7d, at most 30d)
  apps revoke-secret <application_id> <secret_id> [--json]
                                          end the old secret at once, before its grace is over (IDs: apps show)
  apps revoke-tokens <application_id> [--json]
  keys rotate [--alg EdDSA|ES256|RS256] [--publish-ahead <duration>] [--json]
                                          new signing key (default EdDSA): in the JWKS at once, signs
                                          after the publish-ahead (default 10m; 0 = at once)
  keys list [--json]                      signing keys and their state (next, current, retired)
  api-keys create --name <name> [--json]  new admin API key (printed once)
  api-keys list [--json]
  api-keys revoke <id> [--json]
  audit [--since <time>] [--limit <n>] [--before <cursor>] [--json]

serve options (flag, environment variable, default)
  --host <host>                  SMSCX_HOST                 127.0.0.1
  --port <port>                  SMSCX_PORT                 8080
  --db <path|url>                SMSCX_DB                   ./data/smscx-oauth.db (or postgres://user@host:5432/db)
  --rate-limit <N/S>             SMSCX_RATE_LIMIT           600/60 (token requests per application)
  --auth-failure-limit <N/S>     SMSCX_AUTH_FAILURE_LIMIT   20/60 (failed authentications per client IP)
  --log-level <level>            SMSCX_LOG_LEVEL            info (fatal|error|warn|info|debug|trace|silent)
  --issuer <url>                 SMSCX_ISSUER               http://<host>:<port>
  --audience <uri>               SMSCX_AUDIENCE             https://api.sms.cx
  --scope-catalogue <scopes>     SMSCX_SCOPES               sms viber whatsapp ... otp
  --pepper-file <path>           SMSCX_PEPPER_FILE          <db folder>/pepper (PostgreSQL: ./data/pepper)
  --workers <N>                  SMSCX_WORKERS              number of CPU cores (1 = one process)
  --trust-proxy <list>           SMSCX_TRUST_PROXY          none (proxy addresses/CIDRs whose X-Forwarded-For is believed)
  --redis <url>                  SMSCX_REDIS_URL            none (redis://[user:pass@]host:port[/db]: limits shared by every instance)
  --redis-failure <mode>         SMSCX_REDIS_FAILURE        open (Redis unreachable: open = count per instance, closed = 503)
  --redis-timeout <ms>           SMSCX_REDIS_TIMEOUT_MS     50 (longest wait for Redis in a request)
  --redis-prefix <prefix>        SMSCX_REDIS_PREFIX         smscx-oauth: (prefix of every Redis key)
  --keep-alive-timeout <ms>      SMSCX_KEEP_ALIVE_TIMEOUT_MS 5000 (an idle keep-alive connection is closed after)
  --headers-timeout <ms>         SMSCX_HEADERS_TIMEOUT_MS   10000 (a request's headers must all arrive within)
  --request-timeout <ms>         SMSCX_REQUEST_TIMEOUT_MS   15000 (a whole request, body included, must arrive within)
  --max-connections <n>          SMSCX_MAX_CONNECTIONS      open-file limit less 10% (at least 128), at most 10000, per process;
                                                            when full, the connection idle the longest is closed for a new one
  --shutdown-timeout <duration>  SMSCX_SHUTDOWN_TIMEOUT     10s (SIGTERM/SIGINT: longest wait for requests in flight)
  --cors-origin <origins>        SMSCX_CORS_ORIGINS         none (browser origins allowed to get tokens, e.g. https://app.example.com)
  --metrics-host <host>          SMSCX_METRICS_HOST         127.0.0.1 (interface of the metrics listener)
  --metrics-port <port>          SMSCX_METRICS_PORT         none: no metrics (Prometheus GET /metrics on this port, never the public one)

apps, keys, api-keys and audit options
  --db <path|url>                SMSCX_DB                   ./data/smscx-oauth.db (or postgres://user@host:5432/db)
  --pepper-file <path>           SMSCX_PEPPER_FILE          <db folder>/pepper (PostgreSQL: ./data/pepper)
  --scope-catalogue <scopes>     SMSCX_SCOPES               (apps create, apps update: validates --scopes)
  --json                         print JSON instead of text

audit options
  --since <time>                 ISO 8601 (2026-12-01T10:00:00Z, 2026-12-01 = midnight UTC) or back from now (90s, 15m, 24h, 7d)
  --limit <n>                    entries per page, 1-500 (default 50)
  --before <cursor>              the "next" of the previous page

Every command that changes something (apps, keys, api-keys) is recorded in the audit log,
with the actor cli and the OS user.
`;
