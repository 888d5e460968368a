// tests/openapi.js SPEC: validates SPEC against the OpenAPI schema of the
// version it declares (swagger-parser, from npm), then prints one line per
// operation, "METHOD path", for tests/openapi.sh to compare with ra-server.
'use strict';
const dir = process.env.NPM_DIR + '/node_modules/@apidevtools/swagger-parser';
const SwaggerParser = require(dir);
SwaggerParser.validate(process.argv[2]).then((api) => {
	console.log('openapi ' + api.openapi);
	const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
	for (const [path, item] of Object.entries(api.paths || {}))
		for (const m of methods)
			if (item[m] !== undefined)
				console.log('op ' + m.toUpperCase() + ' ' + path);
}, (err) => {
	console.log('invalid: ' + String(err.message || err).split('\n').slice(0, 8).join('\n# '));
	process.exit(1);
});
