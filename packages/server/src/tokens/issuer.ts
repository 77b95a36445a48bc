import type { AddressInfo } from 'node:net';

/** `http://<host>:<port>`, with an IPv6 host in brackets. */
export function baseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The server's `iss`: the configured issuer, or by default `http://<host>:<port>` with the port
 * the server actually bound, which is known only after listen. The app resolves it once, in its
 * `onListen` hook; the token grant, the token checker and the metadata document all read this
 * one value. Before listen (an app driven by `inject`) the default uses the configured port.
 */
export class Issuer {
  #url: string;
  readonly #explicit: boolean;
  readonly #host: string;

  constructor(options: {
    readonly issuer?: string | undefined;
    readonly host: string;
    readonly port: number;
  }) {
    this.#explicit = options.issuer !== undefined;
    this.#host = options.host;
    this.#url = options.issuer ?? baseUrl(options.host, options.port);
  }

  /** The issuer URL. */
  get url(): string {
    return this.#url;
  }

  /** Sets the default issuer from the address the server bound (a configured issuer stays). */
  resolveFrom(address: AddressInfo | string | null): void {
    if (this.#explicit || address === null || typeof address === 'string') return;
    this.#url = baseUrl(this.#host, address.port);
  }
}
