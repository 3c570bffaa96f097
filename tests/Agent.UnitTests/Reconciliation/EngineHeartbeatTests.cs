using Agent.Reconciliation;
using Xunit;

namespace Agent.UnitTests.Reconciliation;

public sealed class EngineHeartbeatTests
{
    [Fact]
    public void One_missed_ping_is_a_slow_answer_two_in_a_row_are_down()
    {
        var heartbeat = new EngineHeartbeat();
        Assert.Null(heartbeat.Record(false));
        Assert.False(heartbeat.IsDown);
        Assert.Null(heartbeat.Record(true)); // the miss is forgotten by an answer
        Assert.Null(heartbeat.Record(false));
        Assert.False(heartbeat.Record(false));
        Assert.True(heartbeat.IsDown);
    }

    [Fact]
    public void Down_is_told_once_and_the_first_answer_brings_it_back_once()
    {
        var heartbeat = new EngineHeartbeat();
        heartbeat.Record(false);
        Assert.False(heartbeat.Record(false));
        Assert.Null(heartbeat.Record(false));
        Assert.Null(heartbeat.Record(false));
        Assert.True(heartbeat.Record(true));
        Assert.False(heartbeat.IsDown);
        Assert.Null(heartbeat.Record(true));
    }
}
