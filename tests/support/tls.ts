import { commandOutput, runToExit } from "./process.ts";
/**
 * A self-signed TLS certificate made at test time with `openssl`, so nothing
 * secret is ever committed. `mktemp` and `openssl` write the files, so the
 * tests need no --allow-write; `rm` removes them afterwards.
 *
 * @module
 */

/** Options for {@linkcode TestCertificate.create}. */
export interface TestCertificateOptions {
  /**
   * The names and addresses it is for, in openssl's syntax.
   *
   * @default {"DNS:localhost,IP:127.0.0.1,IP:::1"}
   */
  subjectAltName?: string;
  /**
   * Leave it marked as a CA (openssl req -x509's default), which TLS clients
   * refuse as a server's own.
   *
   * @default {false}
   */
  markedAsCa?: boolean;
}

/** A certificate and its key in a fresh temporary directory. */
export class TestCertificate implements AsyncDisposable {
  /** The temporary directory holding both files. */
  readonly dir: string;
  /** The certificate (PEM), by default valid for localhost, 127.0.0.1 and ::1. */
  readonly certFile: string;
  /** The private key (PEM, EC P-256). */
  readonly keyFile: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.certFile = `${dir}/cert.pem`;
    this.keyFile = `${dir}/key.pem`;
  }

  /**
   * Makes a certificate a TLS client accepts as a server's own: rustls
   * refuses a certificate marked as a CA (`openssl req -x509`'s default) as
   * an end entity, hence `CA:FALSE`, and wants the names in subjectAltName.
   */
  static async create(
    options: TestCertificateOptions = {},
  ): Promise<TestCertificate> {
    const dir = await commandOutput("mktemp", [
      "-d",
      "-t",
      "chatlab-tls.XXXXXX",
    ]);
    if (dir === null) throw new Error("mktemp -d failed");
    const certificate = new TestCertificate(dir);
    const { status, stderrText } = await runToExit("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      certificate.keyFile,
      "-out",
      certificate.certFile,
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      // Without this, openssl req -x509 marks the certificate CA:TRUE.
      ...(options.markedAsCa
        ? []
        : ["-addext", "basicConstraints=critical,CA:FALSE"]),
      "-addext",
      `subjectAltName=${
        options.subjectAltName ?? "DNS:localhost,IP:127.0.0.1,IP:::1"
      }`,
    ]);
    if (!status.success) {
      await certificate[Symbol.asyncDispose]();
      throw new Error(`openssl failed: ${stderrText.trim()}`);
    }
    return certificate;
  }

  /** Removes the directory and both files. */
  async [Symbol.asyncDispose](): Promise<void> {
    await runToExit("rm", ["-rf", this.dir]);
  }
}
