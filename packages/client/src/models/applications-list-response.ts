import { ApiException } from '../core/errors.js';

/**
 * One application of `GET /applications` (the official clients' `DataApplicationsList`). Field
 * names are the wire names (snake_case), as in `OauthTokenResponse`.
 */
export interface Application {
  /** Numeric identifier of the application. */
  id: number;
  /** The Application ID (40 lowercase hex characters): the `username` of a `Configuration`. */
  application_id: string;
  /** A masked hint of the Application Secret, e.g. `****abcd`; never the secret itself. */
  application_secret: string;
  /** The application's name. */
  application_name: string;
  /** The scopes the application may request, space-delimited, e.g. `sms groups`. */
  scopes: string;
  /** Lifetime of the application's access tokens: `1d`, `1w` or `never`. */
  token_expiration: string;
  /** When the application was created (ISO 8601). */
  created_at: string;
}

/** The `200` body of `GET /applications`: newest first, `data` empty when there are none. */
export interface ApplicationsListResponse {
  /** One entry per application, newest first. */
  data: Application[];
}

const STRING_FIELDS = [
  'application_id',
  'application_secret',
  'application_name',
  'scopes',
  'token_expiration',
  'created_at',
] as const;

/**
 * Validates a `200` body of `GET /applications` and returns it typed, keeping only the
 * documented fields.
 *
 * @throws ApiException with a message naming the broken field.
 */
export function parseApplicationsListResponse(
  status: number,
  headers: Headers,
  body: string,
): ApplicationsListResponse {
  const fail = (why: string): never => {
    throw new ApiException(`Unexpected body for GET /applications: ${why}`, { status, headers, body });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('body is not JSON');
  }
  const list = isRecord(parsed) ? parsed.data : undefined;
  if (!Array.isArray(list)) return fail('data is not an array');
  const data = list.map((item: unknown, index): Application => {
    if (!isRecord(item)) return fail(`data[${index}] is not an object`);
    if (typeof item.id !== 'number' || !Number.isSafeInteger(item.id)) {
      return fail(`data[${index}].id is not an integer`);
    }
    for (const field of STRING_FIELDS) {
      if (typeof item[field] !== 'string') fail(`data[${index}].${field} is not a string`);
    }
    const application = item as unknown as Application;
    return {
      id: application.id,
      application_id: application.application_id,
      application_secret: application.application_secret,
      application_name: application.application_name,
      scopes: application.scopes,
      token_expiration: application.token_expiration,
      created_at: application.created_at,
    };
  });
  return { data };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
