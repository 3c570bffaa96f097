using Agent.Core.Security;

namespace Agent.UnitTests.Security;

public sealed class EffectiveCapabilitiesTests
{
    [Fact]
    public void The_set_follows_the_engine_rules_for_privileged_add_drop_and_ALL()
    {
        Assert.Equal(EffectiveCapabilities.EngineDefaults, EffectiveCapabilities.Of(false, null, null, null));
        Assert.Contains("DAC_READ_SEARCH", EffectiveCapabilities.Of(true, null, null, ["ALL"]));
        Assert.Empty(EffectiveCapabilities.Of(false, null, null, ["all"]));
        Assert.Equal(["CHOWN"], EffectiveCapabilities.Of(false, null, ["cap_chown"], ["ALL"]));
        var noDac = EffectiveCapabilities.Of(false, null, ["NET_ADMIN"], ["CAP_DAC_OVERRIDE"]);
        Assert.DoesNotContain("DAC_OVERRIDE", noDac);
        Assert.Contains("NET_ADMIN", noDac);
        Assert.Contains("FOWNER", noDac);
        var allButFowner = EffectiveCapabilities.Of(false, null, ["ALL"], ["FOWNER"]);
        Assert.Contains("SYS_ADMIN", allButFowner);
        Assert.DoesNotContain("FOWNER", allButFowner);
        Assert.Equal(["KILL"], EffectiveCapabilities.Of(false, ["KILL", "FOWNER"], null, ["fowner"]));
        Assert.Contains("FOWNER", EffectiveCapabilities.Of(false, null, ["FOWNER"], ["FOWNER"])); // capAdd wins, as in the engine
    }
}
