import magicHour from "magic-hour";

/** Magic Hour's SDK client class, for tests and scripts that drive this server as Magic Hour's own users would. */
export type MagicHourClientClass = typeof magicHour;
// The package's only export is `default`; under Node's ESM interop it arrives wrapped once more.
export const MagicHourSdk = ((magicHour as unknown as { default?: MagicHourClientClass }).default ??
  magicHour) as MagicHourClientClass;
