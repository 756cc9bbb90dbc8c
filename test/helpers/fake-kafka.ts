// An in-memory stand-in for the broker side of the transformer's exactly-once loop, for unit tests
// that inject faults a real broker cannot be made to produce on demand: a failed send, a failed
// or ambiguous commit (applied, answer lost), a fencing error, a commit held open while the group
// rebalances. Transactions are atomic here: records and offsets of a transaction become visible
// together at its commit, or never. A newer producer of a transactional.id fences the older ones
// at its first transaction (InitProducerId), as the broker does. One broker fault is modelled on
// purpose: a commit or abort whose markers Kafka skipped (skipNextMarkers), on all its partitions
// or some, whose records stay open until the next commit or abort of the same transactional.id on
// the same partition decides them. The coordinator's last decision per transactional.id is there
// for DescribeTransactions. Keyed records land on murmur2(key) % PARTITIONS, as kafkajs'
// partitioner puts them.
// The fake lives in fake-cluster.ts (state and broker faces), fake-producer.ts (transactions) and
// fake-kafka-records.ts (what they share); this module re-exports them.
export { FakeCluster, type FaultPoint } from './fake-cluster.js';
export { PARTITIONS, protocolError, type CommittedRecord } from './fake-kafka-records.js';
export { FakeProducer } from './fake-producer.js';
