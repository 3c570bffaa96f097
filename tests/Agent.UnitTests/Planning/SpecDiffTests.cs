using Agent.Core.Model;
using Agent.Core.Planning;

namespace Agent.UnitTests.Planning;

/// <summary>`agent diff` names the fields that changed, like kubectl diff / nomad job plan.</summary>
public sealed class SpecDiffTests
{
    private static readonly ContainerSpec Before = new()
    {
        Image = "busybox:1.35",
        Command = ["sleep", "60"],
        Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "info", ["MODE"] = "a" },
        Ports = [new PortMapping("127.0.0.1", null, 8080)],
    };

    [Fact]
    public void Changed_scalar_map_entries_and_list_items_each_get_a_line()
    {
        var after = Before with
        {
            Image = "busybox:latest",
            Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "debug", ["NEW"] = "1" },
            Ports = [new PortMapping("127.0.0.1", null, 8080), new PortMapping("127.0.0.1", null, 9090)],
        };
        Assert.Equal(
        [
            "~ image: busybox:1.35 -> busybox:latest",
            "- env.LOG_LEVEL: info",
            "+ env.LOG_LEVEL: debug",
            "+ env.NEW: 1",
            "+ ports[1]: {hostIp: 127.0.0.1, containerPort: 9090, protocol: tcp}",
            "- env.MODE: a",
        ], SpecDiff.Between(SpecDiff.Serialize(Before), after));
    }

    [Fact]
    public void Values_read_from_env_files_never_appear_in_a_diff_or_the_applied_spec_label()
    {
        var secret = Before with
        {
            Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "info", ["DB_PASSWORD"] = "hunter2", ["TOKEN"] = "s3cr3t" },
            SecretEnv = new HashSet<string> { "DB_PASSWORD", "TOKEN" },
        };
        var changed = secret with
        {
            Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "debug", ["DB_PASSWORD"] = "correct-horse", ["API_KEY"] = "k3y" },
            SecretEnv = new HashSet<string> { "DB_PASSWORD", "API_KEY" },
        };
        var label = SpecDiff.Serialize(secret);
        Assert.DoesNotContain("hunter2", label);
        Assert.DoesNotContain("s3cr3t", label);
        var lines = SpecDiff.Between(label, changed);
        Assert.Equal(
        [
            "+ env.API_KEY: (secret)",
            "+ env.LOG_LEVEL: debug",
            "- env.LOG_LEVEL: info",
            "- env.TOKEN: (secret)",
            "~ env.DB_PASSWORD: (secret changed)",
        ], lines.Where(l => l.Contains("env.", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("correct-horse") || l.Contains("k3y") || l.Contains("hunter2") || l.Contains("s3cr3t"));
        // A label written before values were masked holds the plain value: a key that is secret now is masked there too.
        var plain = SpecDiff.Serialize(secret with { SecretEnv = new HashSet<string>() });
        Assert.Equal(["~ env.DB_PASSWORD: (secret changed)"], SpecDiff.Between(plain, secret with { Env = new Dictionary<string, string>(secret.Env) { ["DB_PASSWORD"] = "new" } }));
        // The hash covers the values, not the masking: the same spec with and without SecretEnv hashes alike.
        Assert.Equal(SpecHash.Of(secret), SpecHash.Of(secret with { SecretEnv = new HashSet<string>() }));
    }

    [Fact]
    public void Build_args_read_from_env_files_never_appear_in_a_diff_or_the_label_and_plain_ones_do()
    {
        var built = Before with
        {
            Build = new BuildSpec
            {
                Context = "/m/app",
                Args = new Dictionary<string, string> { ["NPM_TOKEN"] = "tok-old", ["VERSION"] = "1" },
                SecretArgs = new HashSet<string> { "NPM_TOKEN" },
            },
        };
        var label = SpecDiff.Serialize(built);
        Assert.DoesNotContain("tok-old", label);
        var changed = built with { Build = built.Build! with { Args = new Dictionary<string, string> { ["NPM_TOKEN"] = "tok-new", ["VERSION"] = "2", ["KEY"] = "k3y" }, SecretArgs = new HashSet<string> { "NPM_TOKEN", "KEY" } } };
        Assert.Equal(["+ build.args.KEY: (secret)", "~ build.args.NPM_TOKEN: (secret changed)", "~ build.args.VERSION: 1 -> 2"],
            SpecDiff.Between(label, changed).Order(StringComparer.Ordinal));
        // A label written before build args were masked holds the plain value: masked when the arg is secret now.
        var plain = SpecDiff.Serialize(built with { Build = built.Build with { SecretArgs = new HashSet<string>() } });
        Assert.Contains("tok-old", plain);
        Assert.Equal(["~ build.args.NPM_TOKEN: (secret changed)"], SpecDiff.Between(plain, changed with { Build = changed.Build! with { Args = new Dictionary<string, string> { ["NPM_TOKEN"] = "tok-new", ["VERSION"] = "1" } } }));
        Assert.Equal(SpecHash.Of(built), SpecHash.Of(built with { Build = built.Build with { SecretArgs = new HashSet<string>() } }));
    }

    [Fact]
    public void The_same_spec_has_no_lines_and_an_unknown_previous_spec_has_none_either()
    {
        Assert.Empty(SpecDiff.Between(SpecDiff.Serialize(Before), Before with { }));
        Assert.Empty(SpecDiff.Between(null, Before));
        Assert.Empty(SpecDiff.Between("not json", Before));
    }

    [Fact]
    public void A_list_of_words_changes_as_one_value()
    {
        Assert.Equal(["~ command: [sleep, 60] -> [sleep, 120]"], SpecDiff.Between(SpecDiff.Serialize(Before), Before with { Command = ["sleep", "120"] }));
    }

    [Fact]
    public void The_applied_spec_label_reads_back_with_its_restart_policy_and_an_unreadable_one_is_null()
    {
        var spec = Before with { Restart = new RestartPolicy(RestartMode.OnFailure, 3) };
        Assert.Equal(new RestartPolicy(RestartMode.OnFailure, 3), SpecDiff.Parse(SpecDiff.Serialize(spec))!.Restart);
        Assert.Equal(RestartPolicy.Always, SpecDiff.Parse(SpecDiff.Serialize(Before with { Restart = RestartPolicy.Always }))!.Restart);
        Assert.Null(SpecDiff.Parse(null));
        Assert.Null(SpecDiff.Parse("{not json"));
        Assert.Null(SpecDiff.Parse("[]"));
    }
}
