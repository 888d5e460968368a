// tests/integration/kmc_sm2_encrypt.js: SM2-encrypts a file to a public key
// with sm-crypto (GM/T 0003.4, an implementation independent of OpenSSL) and
// prints the ciphertext as sm-crypto makes it: C1 (x || y, without 04) C3 C2, hex.
//   node kmc_sm2_encrypt.js MODULE_DIR PUBKEY_HEX FILE
const fs = require('fs');
const path = require('path');
const sm2 = require(path.join(process.argv[2], 'node_modules', 'sm-crypto')).sm2;
console.log(sm2.doEncrypt(Array.from(fs.readFileSync(process.argv[4])), process.argv[3], 1));
