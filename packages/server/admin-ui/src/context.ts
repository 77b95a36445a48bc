// What every screen is given: navigation and the (cached) scope catalogue.
import { getData, type Scope } from './api.ts';

export interface Context {
  /** Goes to `hash` (`#/applications`, ...), rendering its screen. */
  navigate(hash: string): void;
  /** The scope catalogue with descriptions (fetched once per sign-in). */
  catalogue(): Promise<readonly Scope[]>;
}

let catalogue: Promise<readonly Scope[]> | undefined;

/** The catalogue, fetched on first use; a failed fetch is retried on the next use. */
export function loadCatalogue(): Promise<readonly Scope[]> {
  if (catalogue === undefined) {
    catalogue = getData<Scope[]>('scopes');
    catalogue.catch(() => {
      catalogue = undefined;
    });
  }
  return catalogue;
}

/** Forgets the catalogue (on sign-out). */
export function forgetCatalogue(): void {
  catalogue = undefined;
}
