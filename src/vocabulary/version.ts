/** The package's version (package.json's; the tests that run `--version` check the two agree). */
export const PACKAGE_VERSION = '0.1.0';
