// tests/integration/sm2_check.js: verifies an SM2 signature with sm-crypto (an
// independent SM2/SM3 implementation): the DER signature over the message
// with the default ID 1234567812345678 (GM/T 0009).
//   node sm2_check.js MODULE_DIR PUBKEY_HEX MESSAGE_FILE SIGNATURE_FILE
// Exit 0 when it verifies, 1 when it does not.
const fs = require('fs');
const path = require('path');
const sm2 = require(path.join(process.argv[2], 'node_modules', 'sm-crypto')).sm2;
const pub = process.argv[3];
const msg = Array.from(fs.readFileSync(process.argv[4]));
const sig = fs.readFileSync(process.argv[5]).toString('hex');
const ok = sm2.doVerifySignature(msg, sig, pub, { der: true, hash: true, userId: '1234567812345678' });
console.log(ok ? 'sm-crypto: signature verifies' : 'sm-crypto: signature does NOT verify');
process.exit(ok ? 0 : 1);
