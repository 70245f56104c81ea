package io.omoib.vton.benchmarks;

import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.s3.S3TestServer;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A local stand-in for SQS and S3, for trying {@code vton worker} on one machine: ElasticMQ and S3Proxy
 * on 127.0.0.1 (free ports), with the queues {@code vton-requests} (redriven to {@code vton-dead} after
 * 5 receives) and {@code vton-notices}, the buckets {@code vton-results} and {@code vton-inputs}, and the
 * bundled sample photos in {@code vton-inputs}. Prints the environment for the workers as
 * {@code export} lines, then {@code # ready}, and runs until killed. Everything is in memory.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.omoib.vton.benchmarks.LocalAws &gt; local-aws.env</pre>
 */
public final class LocalAws {
    private static final String[] SAMPLES = {"person.jpg", "mask.png", "mask-upper.png", "mask-lower.png", "upper.jpg", "lower.jpg"};

    private LocalAws() {
    }

    public static void main(String[] args) throws Exception {
        SQSRestServer elasticMq = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        String queues = "http://127.0.0.1:" + elasticMq.waitUntilStarted().localAddress().getPort() + "/000000000000/";
        S3TestServer s3 = new S3TestServer();
        try (AwsSettings aws = s3.settings().queueUrl(queues + "vton-notices").build()) {
            var sqs = aws.sqs();
            String dead = sqs.createQueue(b -> b.queueName("vton-dead")).queueUrl();
            String arn = sqs.getQueueAttributes(b -> b.queueUrl(dead).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String requests = sqs.createQueue(b -> b.queueName("vton-requests").attributes(Map.of(
                    QueueAttributeName.REDRIVE_POLICY, "{\"maxReceiveCount\":\"5\",\"deadLetterTargetArn\":\"" + arn + "\"}")))
                    .queueUrl();
            String notices = sqs.createQueue(b -> b.queueName("vton-notices")).queueUrl();
            aws.s3().createBucket(b -> b.bucket("vton-results"));
            aws.s3().createBucket(b -> b.bucket("vton-inputs"));
            for (String name : SAMPLES) {
                try (var in = LocalAws.class.getResourceAsStream("/io/omoib/vton/examples/samples/" + name)) {
                    byte[] bytes = in.readAllBytes();
                    aws.s3().putObject(b -> b.bucket("vton-inputs").key(name), RequestBody.fromBytes(bytes));
                }
            }
            s3.environment().forEach((name, value) -> System.out.println("export " + name + "=" + value));
            System.out.println("export VTON_SQS_REQUEST_QUEUE_URL=" + requests);
            System.out.println("export VTON_SQS_QUEUE_URL=" + notices);
            System.out.println("export VTON_S3_BUCKET=vton-results");
            System.out.println("export VTON_S3_INPUTS=vton-inputs");
            System.out.println("# ready");
            System.out.flush();
            new CountDownLatch(1).await();
        } finally {
            s3.close();
            elasticMq.stopAndWait();
        }
    }
}
