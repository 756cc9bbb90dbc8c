// The cluster fault suite's stack (test/faults/cluster.test.ts): three combined KRaft nodes on
// free ports with RF-3 / min-ISR-2 internal topics, and a registry, started once for every
// scenario of the file. The single-broker suite keeps its own stack (global-setup.ts).
import { CLUSTER_FAULTS_HEAP_MB } from './fault-env.js';
import { faultStackSetup } from './global-setup.js';

export default faultStackSetup({
  nodes: 3,
  heapMb: CLUSTER_FAULTS_HEAP_MB,
  name: 'faults-cluster',
  reportName: 'faults-cluster-report',
});
