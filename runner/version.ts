// The version `oneha --version`, /v1/status and the help print. Its own
// module so the CLI's help loads nothing else.
export const VERSION = '0.1.0';
