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
  apps rotate-secret <application_id> [--json]
  apps revoke-tokens <application_id> [--json]
  keys rotate [--json]
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
