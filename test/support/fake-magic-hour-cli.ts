import { startFakeMagicHour } from "./fake-magic-hour";

/** The fake Magic Hour as a process, for Playwright's web servers: `tsx test/support/fake-magic-hour-cli.ts PORT TOKEN`. */
const [port = "3218", token = "mhk_e2e_fake_token"] = process.argv.slice(2);
const fake = await startFakeMagicHour({ token, port: Number(port) });
console.log(`fake Magic Hour on ${fake.origin}`);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => fake.close().then(() => process.exit(0)));
