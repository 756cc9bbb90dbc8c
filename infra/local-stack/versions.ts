// Pinned server versions of the local stack. Kafka's version also lives in infra/kafka/pom.xml
// (Maven resolves it) and docker-compose.yml; test/unit/infra/versions.test.ts keeps them equal.

/** Newest 4.x that passes the kafkajs 2.2.4 transaction smoke tests (test/integration/smoke). */
export const KAFKA_VERSION = '4.4.0';
export const KAFKA_MIN_JAVA = 17;

/** Apicurio Registry 3.3 is compiled for Java 21 (class file 65); Java 17 cannot run it. */
export const APICURIO_VERSION = '3.3.3';
export const APICURIO_MIN_JAVA = 21;
export const APICURIO_ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;

/** Pinned so the classpath step does not float with whatever Maven's super-POM defaults to. */
export const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
