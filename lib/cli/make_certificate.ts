#!/usr/bin/env -S deno run --allow-run=openssl --allow-sys=networkInterfaces
// Makes cert.pem and key.pem for a TLS room: a certificate naming this computer's addresses.

import { runMain } from "./errors.ts";
import { lanAddresses } from "./network.ts";
import { requirePermission } from "./permissions.ts";

/** How long the certificate is valid: a term, then make a new one. */
const VALID_DAYS = 90;

async function main() {
  const addresses = ["127.0.0.1", ...(lanAddresses() ?? [])];
  const names = ["localhost", ...addresses];
  const subjectAltName = [
    "DNS:localhost",
    ...addresses.map((address) => `IP:${address}`),
  ].join(",");
  requirePermission({ name: "run", command: "openssl" });
  const { success, stderr } = await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    "key.pem",
    "-out",
    "cert.pem",
    "-days",
    String(VALID_DAYS),
    "-subj",
    "/CN=chatlab",
    "-addext",
    `subjectAltName=${subjectAltName}`,
    // Not a CA: TLS clients refuse a CA certificate as a server's own.
    "-addext",
    "basicConstraints=critical,CA:FALSE",
  ]);
  if (!success) {
    throw new Error(
      `openssl failed: ${new TextDecoder().decode(stderr).trim()}`,
    );
  }
  console.log(`Wrote cert.pem for ${names.join(", ")}, and key.pem.`);
  console.log(
    "Give students cert.pem only (key.pem stays here), then: deno task server:tls --room --host 0.0.0.0",
  );
}

/** Runs openssl, explaining in one line when it is not installed. */
async function openssl(args: string[]): Promise<Deno.CommandOutput> {
  try {
    return await new Deno.Command("openssl", {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        "openssl is not installed: on Linux install the openssl package; on Windows use Git Bash (it comes with Git for Windows)",
        { cause: error },
      );
    }
    throw error;
  }
}

if (import.meta.main) await runMain(main);
