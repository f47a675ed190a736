// Creates the ACLs of the secure test stack through the PLAINTEXT listener (User:ANONYMOUS is a
// super user there). Idempotent: Kafka keeps ACL bindings as a set, so creating one again is a
// no-op. Exits 0 when every binding exists afterwards.
// usage: node kafka-acls.cjs <plaintext host:port> <repo root> <principal, e.g. User:gateway>
'use strict';
const [broker, repo, principal] = process.argv.slice(2);
const {
  Kafka,
  logLevel,
  AclResourceTypes: R,
  AclOperationTypes: Op,
  AclPermissionTypes,
  ResourcePatternTypes: P,
} = require(require.resolve('kafkajs', { paths: [repo] }));

// What the gateway identity may do; everything else is denied (no ACL = denied, since
// allow.everyone.if.no.acl.found=false). Keep infra/README.md's table in step.
const PREFIX = 'allowed-';
const GRANTS = [
  [
    R.TOPIC,
    PREFIX,
    P.PREFIXED,
    ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DELETE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  ],
  [R.GROUP, PREFIX, P.PREFIXED, ['READ', 'DESCRIBE', 'DELETE']],
  // IDEMPOTENT_WRITE: InitProducerId without a transactional id (Kafka >= 2.8 also accepts WRITE
  // on any topic, KIP-679; granted anyway for clients on the older path)
  [R.CLUSTER, 'kafka-cluster', P.LITERAL, ['DESCRIBE', 'IDEMPOTENT_WRITE']],
];

const acl = GRANTS.flatMap(([resourceType, resourceName, resourcePatternType, ops]) =>
  ops.map((op) => ({
    resourceType,
    resourceName,
    resourcePatternType,
    principal,
    host: '*',
    operation: Op[op],
    permissionType: AclPermissionTypes.ALLOW,
  })),
);

async function main() {
  const admin = new Kafka({
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 3 },
  }).admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl });
    const { resources } = await admin.describeAcls({
      resourceType: R.ANY,
      resourcePatternType: P.ANY,
      principal,
      host: '*',
      operation: Op.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const found = resources.reduce((n, r) => n + r.acls.length, 0);
    if (found < acl.length)
      throw new Error(`expected ${acl.length} ACLs for ${principal}, found ${found}`);
    console.log(`${found} ACLs for ${principal}`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((e) => {
  console.error(`kafka-acls: ${e.message}`);
  process.exit(1);
});
