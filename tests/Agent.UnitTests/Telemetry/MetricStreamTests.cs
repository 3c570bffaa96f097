using System.Diagnostics.Metrics;
using Agent.Telemetry;
using OpenTelemetry.Metrics;

namespace Agent.UnitTests.Telemetry;

/// <summary>The one view over every instrument: small preallocated tables where labels have fixed values, the SDK's
/// default where a label's values come from the user, and the histograms' own buckets.</summary>
public sealed class MetricStreamTests
{
    private static readonly Meter Meter = new("Agent.UnitTests.MetricStreams");

    [Fact]
    public void Instruments_with_fixed_label_values_get_a_small_table()
    {
        var stream = TelemetryExtensions.Stream(Meter.CreateCounter<long>("agent.engine.calls"));
        Assert.NotNull(stream);
        Assert.IsNotType<ExplicitBucketHistogramConfiguration>(stream);
        Assert.Equal(TelemetryExtensions.BoundedCardinality, stream.CardinalityLimit);
        Assert.Equal(TelemetryExtensions.BoundedCardinality, TelemetryExtensions.Stream(Meter.CreateCounter<long>("kestrel.active_connections"))!.CardinalityLimit);
    }

    [Theory]
    [InlineData("http.server.request.duration")]
    [InlineData("agent.cronjob.next_run")]
    [InlineData("agent.source.last_sync.timestamp")]
    public void Instruments_labelled_with_user_names_keep_the_default(string name) =>
        Assert.Null(TelemetryExtensions.Stream(Meter.CreateHistogram<double>(name)));

    [Fact]
    public void The_agents_histograms_keep_their_buckets_with_the_small_table()
    {
        var reconcile = Assert.IsType<ExplicitBucketHistogramConfiguration>(TelemetryExtensions.Stream(Meter.CreateHistogram<double>("agent.reconcile.duration")));
        Assert.Equal(0.005, reconcile.Boundaries![0]);
        Assert.Equal(60, reconcile.Boundaries[^1]);
        Assert.Equal(TelemetryExtensions.BoundedCardinality, reconcile.CardinalityLimit);
        var job = Assert.IsType<ExplicitBucketHistogramConfiguration>(TelemetryExtensions.Stream(Meter.CreateHistogram<double>("agent.job.duration")));
        Assert.Equal(Agent.Jobs.JobMetrics.DurationBuckets, job.Boundaries);
        var lateness = Assert.IsType<ExplicitBucketHistogramConfiguration>(TelemetryExtensions.Stream(Meter.CreateHistogram<double>("agent.cronjob.start.lateness")));
        Assert.Equal(Agent.Jobs.JobMetrics.LatenessBuckets, lateness.Boundaries);
    }
}
