/**
 * What a TLS certificate says about itself, to explain up front what TLS
 * clients would otherwise refuse with a cryptic message: a certificate
 * marked as a CA used as a server's own, or one that does not name the
 * address students type.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";

/** The parts of a certificate that decide whether clients accept it. */
export interface CertificateFacts {
  /** The names and addresses it is valid for (its subjectAltName). */
  names: string[];
  /** Whether it is marked as a certificate authority (CA:TRUE). */
  isCa: boolean;
}

/** How to make a certificate clients accept, for the messages below. */
export const MAKE_CERTIFICATE_HINT =
  'make one with basicConstraints=critical,CA:FALSE and subjectAltName naming this computer\'s addresses (README: "Encrypting a room")';

/** Reads the names and the CA flag of a PEM certificate. */
export function inspectCertificate(pem: string): CertificateFacts {
  const certificate = new X509Certificate(pem);
  const names = (certificate.subjectAltName ?? "").split(", ")
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ""))
    .filter((name) => name !== "");
  return { names, isCa: certificate.ca };
}

/**
 * Refuses a certificate no TLS client will accept as a server's own, in one
 * line; returns what it says otherwise.
 */
export function checkServerCertificate(
  pem: string,
  path: string,
): CertificateFacts {
  let facts: CertificateFacts;
  try {
    facts = inspectCertificate(pem);
  } catch (error) {
    throw new Error(
      `The certificate file "${path}" holds no certificate that can be read (${
        error instanceof Error ? error.message : error
      })`,
      { cause: error },
    );
  }
  if (facts.isCa) {
    throw new Error(
      `The certificate "${path}" is marked as a CA (CA:TRUE, openssl req -x509's default), which clients refuse as a server's own: ${MAKE_CERTIFICATE_HINT}`,
    );
  }
  return facts;
}

/** The addresses among `addresses` that the certificate does not name. */
export function unnamedAddresses(
  facts: CertificateFacts,
  addresses: string[],
): string[] {
  return addresses.filter((address) => !facts.names.includes(address));
}
