using Agent.Auth;
using Agent.Core.Model;
using Agent.Reconciliation;
using Agent.State;
using Microsoft.Extensions.Logging;

namespace Agent.UnitTests.State;

public sealed class StateFileTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("agent-state-");

    public void Dispose() => dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(dir.FullName, name);

    private sealed class ListLogger : ILogger<RuntimeOverrides>
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }

    [Fact]
    public void A_write_replaces_the_whole_file_and_leaves_no_temporary_file()
    {
        StateFile.Write(PathOf("x.json"), "[1]");
        StateFile.Write(PathOf("x.json"), "[2]");
        Assert.Equal("[2]", File.ReadAllText(PathOf("x.json")));
        Assert.Equal(["x.json"], dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void A_failed_write_throws_a_state_write_exception_and_keeps_the_old_file()
    {
        StateFile.Write(PathOf("x.json"), "[1]");
        Directory.CreateDirectory(PathOf("x.json.d"));
        var e = Assert.Throws<StateWriteException>(() => StateFile.Write(PathOf("x.json.d"), "[2]")); // a folder is in the way
        Assert.Equal(PathOf("x.json.d"), e.Path);
        Assert.False(e.IsDiskFull);
        Assert.Equal("[1]", File.ReadAllText(PathOf("x.json")));
        Assert.DoesNotContain(dir.GetFiles(), f => f.Name.Contains(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void A_corrupt_suspended_file_is_moved_aside_with_its_line_reported_and_the_record_is_lost_not_empty()
    {
        File.WriteAllText(PathOf(RuntimeOverrides.FileName), "[\n  \"ServiceGroup/a\",\n  oops\n");
        var logger = new ListLogger();
        var overrides = new RuntimeOverrides(dir.FullName, logger);
        Assert.False(overrides.IsSuspended(new ObjectKey(ServiceGroup.KindName, "a")));
        var aside = Assert.Single(dir.GetFiles("suspended.json.corrupt-*"));
        Assert.Matches(@"^suspended\.json\.corrupt-\d{8}T\d{6}Z$", aside.Name);
        Assert.Equal("[\n  \"ServiceGroup/a\",\n  oops\n", File.ReadAllText(aside.FullName));
        var line = logger.Lines[0];
        Assert.StartsWith($"Error: State file {PathOf(RuntimeOverrides.FileName)} is corrupt (line 3, column 3: ", line, StringComparison.Ordinal);
        // probe-18 F5: not "starting without it", which read as "nothing is held"
        Assert.EndsWith($"moved it aside to {aside.FullName} and holding what it records until {PathOf(RuntimeOverrides.FileName)}.lost is deleted " +
                        "(the next line says what is held); it is not read as empty", line, StringComparison.Ordinal);
        Assert.False(File.Exists(PathOf(RuntimeOverrides.FileName)));
        Assert.StartsWith("suspended.json could not be read at ", overrides.Lost, StringComparison.Ordinal); // LostRecordTests: what it holds
    }

    [Fact]
    public void An_empty_suspended_file_is_moved_aside_too()
    {
        File.WriteAllText(PathOf(RuntimeOverrides.FileName), "");
        var logger = new ListLogger();
        _ = new RuntimeOverrides(dir.FullName, logger);
        Assert.Single(dir.GetFiles("suspended.json.corrupt-*"));
        Assert.Contains("(the file is empty)", logger.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_suspend_is_saved_before_it_takes_effect_and_a_failed_save_changes_nothing()
    {
        var overrides = new RuntimeOverrides(dir.FullName, new ListLogger());
        var a = new ObjectKey(ServiceGroup.KindName, "a");
        overrides.SetSuspended(a, true);
        Assert.Equal("[\"ServiceGroup/a\"]\n", File.ReadAllText(PathOf(RuntimeOverrides.FileName)));

        File.Delete(PathOf(RuntimeOverrides.FileName));
        Directory.CreateDirectory(PathOf(RuntimeOverrides.FileName)); // the rename cannot replace a folder
        var b = new ObjectKey(ServiceGroup.KindName, "b");
        Assert.Throws<StateWriteException>(() => overrides.SetSuspended(b, true));
        Assert.False(overrides.IsSuspended(b));
        Assert.Throws<StateWriteException>(() => overrides.SetSuspended(a, false));
        Assert.True(overrides.IsSuspended(a));
    }

    [Fact]
    public void A_down_with_volumes_is_one_entry_that_a_plain_down_or_an_up_replaces_and_a_restart_reads_back()
    {
        var overrides = new RuntimeOverrides(dir.FullName, new ListLogger());
        var shop = new ObjectKey(ServiceGroup.ComposeKindName, "shop");
        overrides.SetSuspended(shop, true, removeVolumes: true);
        Assert.Equal("[\"ComposeProject/shop?volumes=true\"]\n", File.ReadAllText(PathOf(RuntimeOverrides.FileName)));
        var reread = new RuntimeOverrides(dir.FullName, new ListLogger());
        Assert.True(reread.IsSuspended(shop) && reread.RemovesVolumes(shop));
        overrides.SetSuspended(shop, true);
        Assert.True(overrides.IsSuspended(shop));
        Assert.False(overrides.RemovesVolumes(shop));
        overrides.SetSuspended(shop, false);
        Assert.False(overrides.IsSuspended(shop) || overrides.RemovesVolumes(shop));
        Assert.Equal("[]\n", File.ReadAllText(PathOf(RuntimeOverrides.FileName)));
    }

    [Fact]
    public void The_state_dir_lock_is_exclusive_and_names_the_holder()
    {
        using (var first = StateDirLock.Acquire(dir.FullName))
        {
            var e = Assert.Throws<StateDirLockedException>(() => StateDirLock.Acquire(dir.FullName));
            Assert.Equal($"another agent (pid {Environment.ProcessId}) is running with the state dir {dir.FullName} (it holds {first.Path}); " +
                "stop it first, or give this agent its own --state-dir and --instance", e.Message);
        }
        using var again = StateDirLock.Acquire(dir.FullName); // released on dispose
    }

    [Fact]
    public void Taking_the_state_dir_removes_the_temp_files_of_writes_a_crash_interrupted_and_nothing_else()
    {
        Directory.CreateDirectory(PathOf("jobs"));
        var bindTemp = Directory.CreateDirectory(PathOf($"git/.binds/repo/.tmp-{Guid.NewGuid():N}")).FullName;
        File.WriteAllText(Path.Combine(bindTemp, "config.yaml"), "half a copy");
        string[] leftovers = [PathOf(".suspended.json.tmp-4242"), PathOf("jobs/.Job-migrate.json.tmp-17")];
        string[] kept = [PathOf("suspended.json"), PathOf("jobs/Job-migrate.json"), PathOf(".hidden"), PathOf("notes.tmp-12"), PathOf(".x.tmp-abc")];
        foreach (var file in leftovers.Concat(kept)) File.WriteAllText(file, "{");

        using var held = StateDirLock.Acquire(dir.FullName);

        Assert.All(leftovers, f => Assert.False(File.Exists(f), f));
        Assert.False(Directory.Exists(bindTemp));
        Assert.True(Directory.Exists(PathOf("git/.binds/repo")));
        Assert.All(kept, f => Assert.True(File.Exists(f), f));
        Assert.Equivalent(new[] { leftovers[0], leftovers[1], bindTemp }, held.LeftoversRemoved, strict: true);
    }

    [Fact]
    public void An_instance_id_is_locked_on_the_host_whatever_the_state_dir()
    {
        var labels = new AgentLabels("lock-test-" + Guid.NewGuid().ToString("N")[..8]);
        using (StateDirLock.AcquireInstance(labels))
        {
            var e = Assert.Throws<StateDirLockedException>(() => StateDirLock.AcquireInstance(labels));
            Assert.StartsWith($"another agent (pid {Environment.ProcessId}) is running as instance {labels.InstanceId} (it holds ", e.Message, StringComparison.Ordinal);
            using var otherPrefix = StateDirLock.AcquireInstance(new AgentLabels(labels.InstanceId, "example.com/agent"));
            File.Delete(otherPrefix.Path);
        }
        using var again = StateDirLock.AcquireInstance(labels);
        File.Delete(again.Path);
    }

    [Fact]
    public void A_damaged_generated_tokens_file_is_moved_aside_and_a_new_admin_token_generated_but_a_configured_one_is_refused()
    {
        File.WriteAllText(PathOf("tokens"), "admin:short\n");
        var options = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = dir.FullName });
        _ = new Agent.Auth.TokenStore(options, Microsoft.Extensions.Logging.Abstractions.NullLogger<Agent.Auth.TokenStore>.Instance);
        Assert.Equal("admin:short\n", File.ReadAllText(Assert.Single(dir.GetFiles("tokens.corrupt-*")).FullName));
        Assert.Matches(@"\nadmin:[0-9a-f]{48}\n$", File.ReadAllText(PathOf("tokens")));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PathOf("tokens")));

        var configured = Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions { StateDir = dir.FullName, Auth = new() { TokensFile = PathOf("tokens.corrupt-x") } });
        File.WriteAllText(PathOf("tokens.corrupt-x"), "# mine\nadmin:short\n");
        var e = Assert.Throws<InvalidOperationException>(() => new Agent.Auth.TokenStore(configured, Microsoft.Extensions.Logging.Abstractions.NullLogger<Agent.Auth.TokenStore>.Instance));
        Assert.StartsWith($"{PathOf("tokens.corrupt-x")}:2: expected role:token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tokens_file_or_state_dir_others_may_write_is_refused_at_start()
    {
        if (!OperatingSystem.IsLinux()) return;
        TokenStore Start(string? tokensFile = null) => new(Microsoft.Extensions.Options.Options.Create(new Agent.Hosting.AgentOptions
            { StateDir = dir.FullName, Auth = new() { TokensFile = tokensFile } }), Microsoft.Extensions.Logging.Abstractions.NullLogger<TokenStore>.Instance);
        File.WriteAllText(PathOf("tokens"), "admin:attackerattackerattacker123\n");
        File.SetUnixFileMode(PathOf("tokens"), (UnixFileMode)0b110_110_110); // planted 0666 (probe-15d H12)
        var e = Assert.Throws<InvalidOperationException>(() => Start());
        Assert.Contains($"the tokens file {PathOf("tokens")} may be written by any user (mode 666)", e.Message);
        Assert.DoesNotContain("attacker", e.Message);

        File.SetUnixFileMode(PathOf("tokens"), (UnixFileMode)0b110_000_000);
        File.SetUnixFileMode(dir.FullName, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit); // a 1777 state dir
        e = Assert.Throws<InvalidOperationException>(() => Start());
        Assert.Contains($"the state dir {dir.FullName} may be written by any user (mode 1777)", e.Message);

        File.SetUnixFileMode(dir.FullName, (UnixFileMode)0b111_000_000);
        File.WriteAllText(PathOf("mine"), "admin:aaaaaaaaaaaaaaaaaaaaaaaa\n");
        File.SetUnixFileMode(PathOf("mine"), (UnixFileMode)0b110_100_100);
        Assert.Equal(PathOf("mine"), Start(PathOf("mine")).FilePath); // 0644, own: trusted
        File.SetUnixFileMode(PathOf("mine"), (UnixFileMode)0b110_100_110);
        Assert.Contains("Agent:Auth:TokensFile", Assert.Throws<InvalidOperationException>(() => Start(PathOf("mine"))).Message);
    }
}
