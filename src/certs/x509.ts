// Builds certificates, CRLs and OCSP responses with pkijs (and its asn1js), signing
// through WebCrypto, RSA and ECDSA alike. pkijs, because one library does all three, and
// because it encodes what it builds without parsing it back: @peculiar/x509 re-parses
// each extension, and asn1js's parser stops at 10,000 nodes, which a certificate with
// 10,000 names passes. Loaded only when something has to be made, so a warm start never
// pays for it. MD5 signatures, which WebCrypto does not make, come from md5.ts.
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type { Digest } from './profiles.js';
import { derOf, signingKey, type KeyPair } from './keys.js';

type Pkijs = typeof import('pkijs');
type Asn1js = typeof import('asn1js');

let libraries: Promise<{ pkijs: Pkijs; asn1js: Asn1js; engine: InstanceType<Pkijs['CryptoEngine']> }> | undefined;
function load() {
  return (libraries ??= Promise.all([import('pkijs'), import('asn1js')]).then(([pkijs, asn1js]) => ({
    pkijs,
    asn1js,
    engine: new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as Crypto }),
  })));
}

export type AltName = { type: 'dns'; value: string } | { type: 'ip'; value: string };

/** Who signs: an authority (its certificate and key), or the certificate itself. */
export type Signer = { certificate: string; privateKey: string } | 'self';

export interface CertificateRequest {
  /** commonName (and organisation), the subject of an existing certificate (a cross-sign), or none at all. */
  subject: { commonName: string; organization?: string } | { sameAs: string } | 'none';
  key: KeyPair;
  signer: Signer;
  digest: Exclude<Digest, 'md5'>;
  notBefore: Date;
  notAfter: Date;
  /** A CA certificate, with an optional path length. */
  ca?: { pathLength?: number | undefined };
  altNames?: AltName[];
  extendedKeyUsage?: Array<'serverAuth' | 'clientAuth'>;
  /** RSA leaves may be used for RSA key exchange; ECDSA ones only sign. */
  keyEncipherment?: boolean;
  crlUrl?: string | undefined;
  /** The TLS Feature extension asking for status_request (RFC 7633). */
  mustStaple?: boolean | undefined;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  crlDistributionPoints: '2.5.29.31',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  // RFC 7633 id-pe-tlsfeature; its status_request value is SEQUENCE { INTEGER 5 }.
  tlsFeature: '1.3.6.1.5.5.7.1.24',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
} as const;

/** keyUsage bits (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

const HASH_NAMES = { sha256: 'SHA-256', sha384: 'SHA-384', sha1: 'SHA-1' } as const;

export async function issueCertificate(request: CertificateRequest): Promise<{ pem: string; serial: string }> {
  const { pkijs, asn1js, engine } = await load();
  const signer = request.signer === 'self' ? undefined : pkijs.Certificate.fromBER(derOf(request.signer.certificate));
  const publicKey = pkijs.PublicKeyInfo.fromBER(derOf(request.key.publicKey));
  const subject = await subjectName(request.subject);
  const serial = serialNumber();
  const extension = (extnID: string, critical: boolean, value: { toBER(): ArrayBuffer }) => new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
  const usage = request.ca ? ['digitalSignature', 'keyCertSign', 'cRLSign'] as const : request.keyEncipherment ? ['digitalSignature', 'keyEncipherment'] as const : ['digitalSignature'] as const;
  const extensions = [
    extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: Boolean(request.ca), ...(request.ca?.pathLength !== undefined ? { pathLenConstraint: request.ca.pathLength } : {}) }).toSchema()),
    extension(OID.keyUsage, true, await keyUsage(usage)),
    extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyIdentifier(publicKey) })),
    extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyIdentifier(signer?.subjectPublicKeyInfo ?? publicKey) }) }).toSchema()),
  ];
  if (request.extendedKeyUsage) extensions.push(extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: request.extendedKeyUsage.map((usage) => OID[usage]) }).toSchema()));
  // RFC 5280 §4.2.1.6: with an empty subject the subjectAltName must be critical.
  if (request.altNames) extensions.push(extension(OID.subjectAltName, request.subject === 'none', new pkijs.AltName({ altNames: await generalNames(request.altNames) }).toSchema()));
  if (request.crlUrl) {
    const point = new pkijs.DistributionPoint({ distributionPoint: [new pkijs.GeneralName({ type: 6, value: request.crlUrl })] });
    extensions.push(extension(OID.crlDistributionPoints, false, new pkijs.CRLDistributionPoints({ distributionPoints: [point] }).toSchema()));
  }
  if (request.mustStaple) extensions.push(extension(OID.tlsFeature, false, new asn1js.Sequence({ value: [new asn1js.Integer({ value: 5 })] })));
  const certificate = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: Buffer.from(serial, 'hex') }),
    issuer: signer?.subject ?? subject,
    subject,
    notBefore: time(pkijs, request.notBefore),
    notAfter: time(pkijs, request.notAfter),
    subjectPublicKeyInfo: publicKey,
    extensions,
  });
  const { key } = await signingKey(request.signer === 'self' ? request.key.privateKey : request.signer.privateKey, request.digest);
  await certificate.sign(key, HASH_NAMES[request.digest], engine);
  // toSchema(true) encodes from the fields; without it pkijs parses its own output back.
  return { pem: toPem('CERTIFICATE', certificate.toSchema(true).toBER()), serial };
}

/** A CRL from an authority, listing these serials as revoked (DER, as served over HTTP). */
export async function issueCrl(authority: { certificate: string; privateKey: string }, revokedSerials: string[], now = new Date()): Promise<Buffer> {
  const { pkijs, asn1js, engine } = await load();
  const issuer = pkijs.Certificate.fromBER(derOf(authority.certificate));
  const revokedAt = time(pkijs, new Date(now.getTime() - 3_600_000));
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    issuer: issuer.subject,
    thisUpdate: time(pkijs, new Date(now.getTime() - 60_000)),
    nextUpdate: time(pkijs, new Date(now.getTime() + 7 * 86_400_000)),
    ...(revokedSerials.length
      ? {
          revokedCertificates: revokedSerials.map(
            (serial) =>
              new pkijs.RevokedCertificate({
                userCertificate: new asn1js.Integer({ valueHex: Buffer.from(serial, 'hex') }),
                revocationDate: revokedAt,
                // keyCompromise
                crlEntryExtensions: new pkijs.Extensions({ extensions: [new pkijs.Extension({ extnID: OID.crlReason, critical: false, extnValue: new asn1js.Enumerated({ value: 1 }).toBER() })] }),
              }),
          ),
        }
      : {}),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        new pkijs.Extension({ extnID: OID.authorityKeyIdentifier, critical: false, extnValue: new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyIdentifier(issuer.subjectPublicKeyInfo) }) }).toSchema().toBER() }),
        new pkijs.Extension({ extnID: OID.crlNumber, critical: false, extnValue: new asn1js.Integer({ value: Math.floor(now.getTime() / 1000) }).toBER() }),
      ],
    }),
  });
  const { key } = await signingKey(authority.privateKey, 'sha256');
  await crl.sign(key, 'SHA-256', engine);
  return Buffer.from(crl.toSchema(true).toBER());
}

/**
 * An OCSP response (RFC 6960) for one certificate, signed by its issuer directly: status
 * good or revoked, valid for a week. DER, as a server staples it.
 */
export async function issueOcspResponse(certificate: string, issuerAuthority: { certificate: string; privateKey: string }, status: 'good' | 'revoked', at = new Date()): Promise<Buffer> {
  const { pkijs, asn1js, engine } = await load();
  // GeneralizedTime without fractions of a second: GnuTLS reads "08:04:36.969Z" as a response too old.
  const now = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const leaf = pkijs.Certificate.fromBER(derOf(certificate));
  const issuer = pkijs.Certificate.fromBER(derOf(issuerAuthority.certificate));
  const certID = await pkijs.CertID.create(leaf, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer }, engine);
  // CertStatus: good [0] IMPLICIT NULL, or revoked [1] IMPLICIT RevokedInfo { revocationTime }.
  const certStatus =
    status === 'good'
      ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } })
      : new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [new asn1js.GeneralizedTime({ valueDate: new Date(now.getTime() - 3_600_000) })] });
  const basic = new pkijs.BasicOCSPResponse();
  basic.tbsResponseData.responderID = issuer.subject;
  basic.tbsResponseData.producedAt = now;
  basic.tbsResponseData.responses.push(new pkijs.SingleResponse({ certID, certStatus, thisUpdate: new Date(now.getTime() - 60_000), nextUpdate: new Date(now.getTime() + 7 * 86_400_000) }));
  const { key } = await signingKey(issuerAuthority.privateKey, 'sha256');
  await basic.sign(key, 'SHA-256', engine);
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({ responseType: OID.ocspBasic, response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }) }),
  });
  return Buffer.from(response.toSchema().toBER());
}

/** A positive 128-bit serial, in hex, as CAs make them. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** RFC 5280 §4.2.1.2 method 1: the SHA-1 of the public key's bits. */
function keyIdentifier(publicKey: InstanceType<Pkijs['PublicKeyInfo']>): Buffer {
  return createHash('sha1').update(publicKey.subjectPublicKey.valueBlock.valueHexView).digest();
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(pkijs: Pkijs, date: Date): InstanceType<Pkijs['Time']> {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? 0 : 1, value: date });
}

/** One attribute per RDN, as every CA writes names (pkijs would put them all in one set). */
async function subjectName(subject: CertificateRequest['subject']) {
  const { pkijs, asn1js } = await load();
  if (subject !== 'none' && 'sameAs' in subject) return pkijs.Certificate.fromBER(derOf(subject.sameAs)).subject;
  const attributes = subject === 'none' ? [] : [[OID.commonName, subject.commonName], ...(subject.organization ? [[OID.organization, subject.organization]] : [])];
  const encoded = new asn1js.Sequence({
    value: attributes.map(([type, value]) => new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type! }), new asn1js.Utf8String({ value: value! })] })] })),
  }).toBER();
  return new pkijs.RelativeDistinguishedNames({ valueBeforeDecode: encoded });
}

async function generalNames(names: AltName[]) {
  const { pkijs, asn1js } = await load();
  return names.map((name) =>
    name.type === 'dns'
      ? new pkijs.GeneralName({ type: 2, value: name.value })
      : new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: ipBytes(name.value) }) }),
  );
}

function ipBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  throw new Error(`only IPv4 addresses are written into certificates (${address})`);
}

/** The keyUsage BIT STRING: named bits, trailing zero bits unused. */
async function keyUsage(bits: readonly (keyof typeof KEY_USAGE)[]) {
  const { asn1js } = await load();
  let value = 0;
  for (const bit of bits) value |= 0x80 >> KEY_USAGE[bit];
  let unused = 0;
  while (unused < 7 && !(value & (1 << unused))) unused++;
  return new asn1js.BitString({ valueHex: Uint8Array.of(value), unusedBits: unused });
}

function toPem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}
