/**
 * DescribeConfigs for topics (every known config with its value in force and where it comes
 * from) and for this broker (the settings that shape its topics).
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  ConfigResourceType,
  ConfigSource,
  ConfigType,
  DescribeConfigs,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribedConfig,
} from '../../protocol/messages/index.js';
import { BROKER_TOPIC_DEFAULT_KEYS } from '../../config.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../handler.js';
import { TOPIC_CONFIGS } from '../topic-configs.js';

type Result = DescribeConfigsResponse['results'][number];

/**
 * `readOnly` is Kafka's "cannot be changed without a restart": a topic's configs are not (as on
 * Kafka, though lakegate has no AlterConfigs yet), this broker's settings all are.
 */
function config(name: string, value: string, source: number, type: number, doc: string | null, includeSynonyms: boolean, synonyms: DescribedConfig['synonyms'], readOnly = false): DescribedConfig {
  return {
    name,
    value,
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: includeSynonyms ? synonyms : [],
    configType: type,
    documentation: doc,
  };
}

function describeTopic(broker: Broker, name: string, keys: string[] | null, req: DescribeConfigsRequest): Result {
  const runtime = broker.topic(name);
  if (!runtime) {
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist.`, resourceType: ConfigResourceType.TOPIC, resourceName: name, configs: [] };
  }
  const topic = runtime.topic;
  const configs = [...TOPIC_CONFIGS.values()]
    .filter((d) => keys === null || keys.includes(d.name))
    .map((d) => {
      const fromTopic = broker.configSourceIsTopic(topic, d.name);
      const brokerKey = Object.keys(BROKER_TOPIC_DEFAULT_KEYS).find((k) => BROKER_TOPIC_DEFAULT_KEYS[k] === d.name);
      const fromBroker = !fromTopic && d.name in broker.config.brokerTopicDefaults;
      const source = fromTopic ? ConfigSource.TOPIC_CONFIG : fromBroker ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
      const synonyms: DescribedConfig['synonyms'] = [];
      if (fromTopic) synonyms.push({ name: d.name, value: topic.configs[d.name], source: ConfigSource.TOPIC_CONFIG });
      if (brokerKey && d.name in broker.config.brokerTopicDefaults) {
        synonyms.push({ name: brokerKey, value: broker.config.brokerTopicDefaults[d.name], source: ConfigSource.STATIC_BROKER_CONFIG });
      }
      synonyms.push({ name: brokerKey ?? d.name, value: d.default, source: ConfigSource.DEFAULT_CONFIG });
      return config(d.name, broker.configValue(topic, d.name), source, d.type, req.includeDocumentation ? d.doc : null, req.includeSynonyms, synonyms);
    });
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: ConfigResourceType.TOPIC, resourceName: name, configs };
}

function describeBroker(broker: Broker, name: string, keys: string[] | null, req: DescribeConfigsRequest): Result {
  if (name !== '' && name !== String(broker.nodeId)) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${broker.nodeId} but received ${name}`, resourceType: ConfigResourceType.BROKER, resourceName: name, configs: [] };
  }
  const c = broker.config;
  const entries: Array<[string, string, number]> = [
    ['node.id', String(c.nodeId), ConfigType.INT],
    ['broker.id', String(c.nodeId), ConfigType.INT],
    ['auto.create.topics.enable', String(c.autoCreateTopics), ConfigType.BOOLEAN],
    ['num.partitions', String(c.numPartitions), ConfigType.INT],
    ['default.replication.factor', '1', ConfigType.INT],
    ['socket.request.max.bytes', String(c.socketRequestMaxBytes), ConfigType.INT],
    ['queued.max.request.bytes', String(c.queuedMaxRequestBytes), ConfigType.LONG],
    ['log.fsync', c.fsync, ConfigType.STRING],
    ['log.fsync.interval.ms', String(c.fsyncIntervalMs), ConfigType.LONG],
    ...Object.entries(BROKER_TOPIC_DEFAULT_KEYS).map(([brokerKey, topicKey]): [string, string, number] => [
      brokerKey,
      c.brokerTopicDefaults[topicKey] ?? (TOPIC_CONFIGS.get(topicKey)?.default as string),
      TOPIC_CONFIGS.get(topicKey)?.type ?? ConfigType.STRING,
    ]),
  ];
  const configs = entries
    .filter(([key]) => keys === null || keys.includes(key))
    .map(([key, value, type]) => config(key, value, ConfigSource.STATIC_BROKER_CONFIG, type, null, req.includeSynonyms, [{ name: key, value, source: ConfigSource.STATIC_BROKER_CONFIG }], true));
  return { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: ConfigResourceType.BROKER, resourceName: name, configs };
}

export const describeConfigsHandler: ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  api: DescribeConfigs,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => {
        if (r.resourceType === ConfigResourceType.TOPIC) return describeTopic(ctx.broker, r.resourceName, r.configurationKeys, req);
        if (r.resourceType === ConfigResourceType.BROKER) return describeBroker(ctx.broker, r.resourceName, r.configurationKeys, req);
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] };
      }),
    };
  },
};
