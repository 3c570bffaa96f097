using Agent.Telemetry;

namespace Agent.UnitTests.Telemetry;

/// <summary>probe-18 F2: a gauge series that is no longer reported reads 0, not the value the exporter last had.</summary>
public sealed class GoneSeriesTests
{
    [Fact]
    public void A_series_reported_before_and_missing_now_is_reported_as_zero_from_then_on()
    {
        var series = new GoneSeries<(string Kind, string State)>();

        Assert.Equal([(("ServiceGroup", "running"), 2)], series.Complete([(("ServiceGroup", "running"), 2)]));
        Assert.Equal([(("ServiceGroup", "exited"), 2), (("ServiceGroup", "running"), 0)], series.Complete([(("ServiceGroup", "exited"), 2)]));
        Assert.Equal([(("ServiceGroup", "exited"), 0), (("ServiceGroup", "running"), 0)],
            series.Complete([]).OrderBy(s => s.Series.State));
        Assert.Equal([(("ServiceGroup", "running"), 1), (("ServiceGroup", "exited"), 0)], series.Complete([(("ServiceGroup", "running"), 1)]));
    }
}
