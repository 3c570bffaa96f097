using System.Reflection;
using Agent.Engine;
using Agent.Reconciliation;

namespace Agent.UnitTests.Reconciliation;

/// <summary>The creates of a burst from one image ask the engine once whether it has a healthcheck, and a failed or
/// missing answer is "not known" (the cache then inspects the container), never "no healthcheck".</summary>
public sealed class ImageHealthchecksTests
{
    public class ImageEngine : DispatchProxy
    {
        public int Inspects;
        public Func<string, ImageSummary?> Answer { get; set; } = _ => null;

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name != nameof(IContainerEngine.InspectImageAsync)) throw new NotSupportedException(method.Name);
            Interlocked.Increment(ref Inspects);
            try
            {
                return Task.FromResult(Answer((string)args![0]!));
            }
            catch (EngineException e)
            {
                return Task.FromException<ImageSummary?>(e);
            }
        }
    }

    private static (ImageHealthchecks Checks, ImageEngine Engine) Make()
    {
        var proxy = DispatchProxy.Create<IContainerEngine, ImageEngine>();
        return (new ImageHealthchecks(proxy), (ImageEngine)(object)proxy);
    }

    private static ImageSummary Image(bool healthcheck) => new("sha256:1", [], 1, DateTimeOffset.UnixEpoch) { HasHealthcheck = healthcheck };

    [Fact]
    public async Task An_image_is_asked_once_for_a_burst_and_an_inspect_made_anyway_counts()
    {
        var (checks, engine) = Make();
        engine.Answer = name => Image(healthcheck: name == "checked:1");
        Assert.True(await checks.HasAsync("checked:1", CancellationToken.None));
        Assert.True(await checks.HasAsync("checked:1", CancellationToken.None));
        Assert.Equal(1, engine.Inspects);

        checks.Saw("plain:1", Image(healthcheck: false));
        Assert.False(await checks.HasAsync("plain:1", CancellationToken.None));
        Assert.Equal(1, engine.Inspects);
    }

    [Fact]
    public async Task A_missing_image_or_an_engine_that_does_not_answer_is_not_known()
    {
        var (checks, engine) = Make();
        Assert.Null(await checks.HasAsync("missing:1", CancellationToken.None));
        engine.Answer = _ => throw new EngineException("the engine did not answer", 504);
        Assert.Null(await checks.HasAsync("other:1", CancellationToken.None));
    }
}
