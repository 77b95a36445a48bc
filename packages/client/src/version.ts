/**
 * The version of this SDK, sent in the `User-Agent` header.
 *
 * Kept equal to `version` in package.json by hand (a test enforces it): the core cannot read
 * package.json at run time because it must stay free of Node APIs and `import.meta`.
 */
export const VERSION = '0.1.0';
