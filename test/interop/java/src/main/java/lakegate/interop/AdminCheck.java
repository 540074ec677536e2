package lakegate.interop;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates TOPIC with 3 partitions and explicit topic configs through the AdminClient, then
 * checks what describeCluster, createTopics (again), listTopics, describeTopics and
 * describeConfigs answer. Prints "ADMIN OK" and exits 0 when every check holds; otherwise
 * prints every failed check and exits 1.
 *
 * usage: AdminCheck BOOTSTRAP TOPIC
 */
public final class AdminCheck {
  static final int PARTITIONS = 3;
  static final Map<String, String> CONFIGS = new LinkedHashMap<>();

  static {
    CONFIGS.put("retention.ms", "3600000");
    CONFIGS.put("retention.bytes", "1073741824");
    CONFIGS.put("max.message.bytes", "2097152");
    CONFIGS.put("message.timestamp.type", "LogAppendTime");
    CONFIGS.put("cleanup.policy", "delete");
    CONFIGS.put("compression.type", "producer");
  }

  private static final List<String> failures = new ArrayList<>();

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failures.add(what);
  }

  private static Throwable cause(Exception e) {
    return e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: AdminCheck BOOTSTRAP TOPIC");
      System.exit(64);
    }
    String bootstrap = args[0];
    String topic = args[1];
    String[] hostPort = bootstrap.split(":");
    String host = hostPort[0];
    int port = Integer.parseInt(hostPort[1]);

    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "lakegate-interop-admin");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");

    try (Admin admin = Admin.create(props)) {
      // describeCluster
      DescribeClusterResult cluster = admin.describeCluster();
      Collection<Node> nodes = cluster.nodes().get(30, TimeUnit.SECONDS);
      String clusterId = cluster.clusterId().get(30, TimeUnit.SECONDS);
      Node controller = cluster.controller().get(30, TimeUnit.SECONDS);
      System.out.println("cluster id=" + clusterId + " nodes=" + nodes + " controller=" + controller);
      check(clusterId != null && !clusterId.isEmpty(), "describeCluster: cluster id present");
      check(!nodes.isEmpty(), "describeCluster: at least one node");
      check(nodes.stream().anyMatch(n -> n.host().equals(host) && n.port() == port),
          "describeCluster: a node advertises " + bootstrap);
      check(controller != null && !controller.isEmpty()
              && nodes.stream().anyMatch(n -> n.id() == controller.id()),
          "describeCluster: controller is one of the nodes");

      // describeTopics on a missing topic must not create it
      String missing = topic + "-missing";
      try {
        admin.describeTopics(Collections.singleton(missing)).allTopicNames().get(30, TimeUnit.SECONDS);
        check(false, "describeTopics(" + missing + ") fails with UnknownTopicOrPartitionException");
      } catch (ExecutionException e) {
        check(cause(e) instanceof UnknownTopicOrPartitionException,
            "describeTopics(" + missing + ") fails with UnknownTopicOrPartitionException (got "
                + cause(e) + ")");
      }

      // createTopics
      NewTopic nt = new NewTopic(topic, PARTITIONS, (short) 1).configs(CONFIGS);
      CreateTopicsResult created = admin.createTopics(Collections.singleton(nt));
      created.all().get(30, TimeUnit.SECONDS);
      check(true, "createTopics(" + topic + ", partitions=3, rf=1, configs=" + CONFIGS + ")");
      int np = created.numPartitions(topic).get();
      int rf = created.replicationFactor(topic).get();
      check(np == PARTITIONS, "createTopics result: numPartitions == 3 (got " + np + ")");
      check(rf == 1, "createTopics result: replicationFactor == 1 (got " + rf + ")");
      Uuid createdId = null;
      try {
        createdId = created.topicId(topic).get();
      } catch (ExecutionException e) {
        System.out.println("note: createTopics result has no topic id: " + cause(e));
      }
      System.out.println("createTopics topic id=" + createdId);
      try {
        Config returned = created.config(topic).get();
        for (Map.Entry<String, String> c : CONFIGS.entrySet()) {
          ConfigEntry e = returned.get(c.getKey());
          if (e == null) {
            System.out.println("note: createTopics result does not list " + c.getKey());
          } else {
            check(c.getValue().equals(e.value()),
                "createTopics result: " + c.getKey() + "=" + c.getValue() + " (got " + e.value() + ")");
          }
        }
      } catch (ExecutionException e) {
        System.out.println("note: createTopics result has no configs: " + cause(e));
      }

      // creating it again must fail with TOPIC_ALREADY_EXISTS
      try {
        admin.createTopics(Collections.singleton(new NewTopic(topic, PARTITIONS, (short) 1)))
            .all().get(30, TimeUnit.SECONDS);
        check(false, "createTopics again fails with TopicExistsException (it succeeded)");
      } catch (ExecutionException e) {
        check(cause(e) instanceof TopicExistsException,
            "createTopics again fails with TopicExistsException (got " + cause(e) + ")");
      }

      // listTopics
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      System.out.println("listTopics=" + names);
      check(names.contains(topic), "listTopics contains " + topic);
      check(!names.contains(missing), "listTopics does not contain " + missing);

      // describeTopics
      TopicDescription td = admin.describeTopics(Collections.singleton(topic))
          .allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
      System.out.println("describeTopics=" + td);
      check(td != null && td.name().equals(topic), "describeTopics: returns " + topic);
      if (td != null) {
        check(!td.isInternal(), "describeTopics: not internal");
        check(td.topicId() != null && !Uuid.ZERO_UUID.equals(td.topicId()),
            "describeTopics: non-zero topic id (got " + td.topicId() + ")");
        if (createdId != null && !Uuid.ZERO_UUID.equals(createdId)) {
          check(createdId.equals(td.topicId()),
              "describeTopics: topic id equals the one createTopics returned");
        }
        List<TopicPartitionInfo> parts = td.partitions();
        check(parts.size() == PARTITIONS, "describeTopics: 3 partitions (got " + parts.size() + ")");
        for (int i = 0; i < parts.size(); i++) {
          TopicPartitionInfo p = parts.get(i);
          Node leader = p.leader();
          check(p.partition() == i, "describeTopics: partition index " + i + " (got " + p.partition() + ")");
          check(leader != null && nodes.stream().anyMatch(n -> n.id() == leader.id()),
              "describeTopics: partition " + i + " has a leader among the cluster nodes");
          check(p.replicas().size() == 1 && leader != null && p.replicas().get(0).id() == leader.id(),
              "describeTopics: partition " + i + " replicas == [leader] (got " + p.replicas() + ")");
          check(p.isr().size() == 1 && leader != null && p.isr().get(0).id() == leader.id(),
              "describeTopics: partition " + i + " isr == [leader] (got " + p.isr() + ")");
        }
      }

      // describeConfigs
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(Collections.singleton(res)).all()
          .get(30, TimeUnit.SECONDS).get(res);
      check(config != null, "describeConfigs: returns the topic resource");
      if (config != null) {
        for (ConfigEntry e : config.entries()) {
          System.out.println("  config " + e.name() + "=" + e.value() + " source=" + e.source()
              + " readOnly=" + e.isReadOnly() + " sensitive=" + e.isSensitive());
        }
        for (Map.Entry<String, String> c : CONFIGS.entrySet()) {
          ConfigEntry e = config.get(c.getKey());
          check(e != null && c.getValue().equals(e.value()),
              "describeConfigs: " + c.getKey() + "=" + c.getValue()
                  + " (got " + (e == null ? "no entry" : e.value()) + ")");
          check(e != null && e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG,
              "describeConfigs: " + c.getKey() + " source DYNAMIC_TOPIC_CONFIG (got "
                  + (e == null ? "no entry" : e.source()) + ")");
        }
      }

      // describeConfigs on a missing topic
      ConfigResource missingRes = new ConfigResource(ConfigResource.Type.TOPIC, missing);
      try {
        admin.describeConfigs(Collections.singleton(missingRes)).all().get(30, TimeUnit.SECONDS);
        check(false, "describeConfigs(" + missing + ") fails with UnknownTopicOrPartitionException");
      } catch (ExecutionException e) {
        check(cause(e) instanceof UnknownTopicOrPartitionException,
            "describeConfigs(" + missing + ") fails with UnknownTopicOrPartitionException (got "
                + cause(e) + ")");
      }
    } catch (Exception e) {
      System.err.println("admin call failed: " + cause(e));
      cause(e).printStackTrace();
      System.exit(2);
    }

    if (!failures.isEmpty()) {
      System.out.println("ADMIN FAILED: " + failures.size() + " check(s)");
      for (String f : failures) System.out.println("  - " + f);
      System.exit(1);
    }
    System.out.println("ADMIN OK");
    System.exit(0);
  }
}
