// tests/integration/sm2_sign_raw.js: signs a message with sm-crypto (an
// independent SM2/SM3 implementation) as many seal implementations write SM2
// signatures: the raw 64 bytes r || s, not DER, with the default ID
// 1234567812345678 (GM/T 0009).
//   node sm2_sign_raw.js MODULE_DIR PRIVKEY_HEX MESSAGE_FILE OUT_FILE
const fs = require('fs');
const path = require('path');
const sm2 = require(path.join(process.argv[2], 'node_modules', 'sm-crypto')).sm2;
const msg = Array.from(fs.readFileSync(process.argv[4]));
const hex = sm2.doSignature(msg, process.argv[3], { der: false, hash: true, userId: '1234567812345678' });
if (hex.length !== 128) {
	console.error('sm-crypto: an r || s of ' + hex.length / 2 + ' bytes');
	process.exit(1);
}
fs.writeFileSync(process.argv[5], Buffer.from(hex, 'hex'));
