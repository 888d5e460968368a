// tests/integration/kmc_sm2_open.js: opens a GM/T 0009 SM2EnvelopedKey with
// sm-crypto (an independent SM2/SM4 implementation): SM2-decrypts the SM4 key
// (C1C3C2, as kmc_env.py gives it) with the recipient's private key, SM4-ECB
// decrypts the private key, and checks it against the envelope's public key.
//   node kmc_sm2_open.js MODULE_DIR RECIPIENT_PRIV_HEX CIPHER_HEX PUB_HEX ENCPRIV_HEX
// Prints the private key in hex; exit 1 when anything does not hold.
const path = require('path');
const sm = require(path.join(process.argv[2], 'node_modules', 'sm-crypto'));
const [rpriv, cipher, pub, encpriv] = process.argv.slice(3);
const fail = (why) => { console.error('sm-crypto: ' + why); process.exit(1); };
const sk = sm.sm2.doDecrypt(cipher, rpriv, 1, { output: 'array' });
if (!sk || sk.length !== 16) fail('SM2 decryption of the SM4 key failed');
const skHex = Buffer.from(sk).toString('hex');
const d = sm.sm4.decrypt(encpriv, skHex, { padding: 'none', output: 'array' });
if (!d || d.length !== 32) fail('SM4 decryption of the private key failed');
const dHex = Buffer.from(d).toString('hex');
if (sm.sm2.getPublicKeyFromPrivateKey(dHex) !== pub.toLowerCase()) fail('the private key is not the public key\'s');
console.log(dHex);
