// jsforce against the emulator: an OAuth 2.0 username-password login, a SOQL
// query, a describe and a Metadata API deploy (polled to completion).
// Usage: node jsforce-client.cjs INSTANCE_URL USERNAME PASSWORD CLIENT_ID CLIENT_SECRET ZIP
const fs = require('fs');
const jsforce = require('jsforce');

async function main() {
  const [loginUrl, username, password, clientId, clientSecret, zip] = process.argv.slice(2);
  const conn = new jsforce.Connection({
    oauth2: { loginUrl, clientId, clientSecret },
    version: '63.0',
  });
  const info = await conn.login(username, password);
  console.log(`login ${info.organizationId} ${conn.instanceUrl}`);

  const q = await conn.query("SELECT Id, Username FROM User WHERE Username = '" + username + "'");
  if (q.totalSize !== 1 || q.records[0].Username !== username) {
    throw new Error('query: ' + JSON.stringify(q));
  }
  console.log(`query ${q.totalSize}`);

  const d = await conn.sobject('User').describe();
  if (!d.fields.some((f) => f.name === 'Username')) throw new Error('describe: no Username field');
  console.log(`describe ${d.name} ${d.fields.length} fields`);

  const result = await conn.metadata.deploy(fs.readFileSync(zip), { rollbackOnError: true, singlePackage: true }).complete(true);
  if (!result.success) throw new Error('deploy: ' + JSON.stringify(result));
  console.log(`deploy ${result.status} ${result.numberComponentsDeployed} components`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
