using Agent.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.State;

/// <summary>probe-15j M5: a state dir moved away or replaced under a running agent is a failed read, never a fresh start.</summary>
public sealed class StateDirWatchTests : IDisposable
{
    private readonly DirectoryInfo parent = Directory.CreateTempSubdirectory("agent-statedir-");

    public void Dispose() => parent.Delete(recursive: true);

    [Theory]
    [InlineData(7ul, 7ul, false, StateDirFinding.Intact)]
    [InlineData(7ul, null, false, StateDirFinding.Missing)]
    [InlineData(7ul, null, true, StateDirFinding.Missing)]
    [InlineData(7ul, 8ul, true, StateDirFinding.Replaced)]
    [InlineData(7ul, 7ul, true, StateDirFinding.LockLost)]
    [InlineData(null, null, false, StateDirFinding.Intact)] // not known on this platform: only the lock tells
    [InlineData(null, null, true, StateDirFinding.LockLost)]
    public void What_is_at_the_path_is_judged_against_the_folder_the_agent_started_with(ulong? atStart, ulong? now, bool lockLost, StateDirFinding expected) =>
        Assert.Equal(expected, StateDirWatch.Judge(atStart is { } s ? (0u, 1u, s) : null, now is { } n ? (0u, 1u, n) : null, lockLost));

    [Fact]
    public void Moved_away_nothing_is_written_or_made_again_and_moved_back_the_agent_goes_on()
    {
        var dir = Path.Combine(parent.FullName, "state");
        using var held = StateDirLock.Acquire(dir);
        using var watch = new StateDirWatch(held, NullLogger<StateDirWatch>.Instance);
        StateFile.Write(Path.Combine(dir, "x.json"), "[1]");
        Assert.Null(watch.Check());

        Directory.Move(dir, dir + ".old");
        Assert.Contains($"the state dir {dir} is missing", watch.Check());
        var refused = Assert.Throws<StateWriteException>(() => StateFile.Write(Path.Combine(dir, "jobs", "Job-m.json"), "{}"));
        Assert.Contains("is missing", refused.Message);
        Assert.False(Directory.Exists(dir)); // not made again as if fresh: the folder can be moved back

        Directory.Move(dir + ".old", dir);
        Assert.Null(watch.Check());
        StateFile.Write(Path.Combine(dir, "x.json"), "[2]");
        Assert.Equal("[2]", File.ReadAllText(Path.Combine(dir, "x.json")));
    }

    /// <summary>probe-16 F8: the manifest index (manifest-files.json) and the git folders made the state dir again, empty
    /// and 0755, at the next manifest event; moving it back then nested it in the new one.</summary>
    [Fact]
    public void Moved_away_no_state_write_or_folder_makes_the_state_dir_again_and_moved_back_they_are_written()
    {
        var dir = Path.Combine(parent.FullName, "state");
        using var held = StateDirLock.Acquire(dir);
        using var watch = new StateDirWatch(held, NullLogger<StateDirWatch>.Instance);
        var index = new Agent.Sources.ManifestIndex(dir);
        var files = new Dictionary<Agent.Core.Model.ObjectKey, string>();
        Assert.True(index.Save(files, NullLogger.Instance));

        Directory.Move(dir, dir + ".old");
        Assert.False(index.Save(files, NullLogger.Instance));
        Assert.Throws<StateWriteException>(() => StateFile.CreateDirectory(Path.Combine(dir, "git", "cache", "repo")));
        Assert.Throws<StateWriteException>(() => StateFile.Write(Path.Combine(dir, "manifest-files.json"), "{}"));
        Assert.False(Directory.Exists(dir));

        Directory.Move(dir + ".old", dir);
        Assert.Null(watch.Check());
        Assert.True(index.Save(files, NullLogger.Instance));
        StateFile.CreateDirectory(Path.Combine(dir, "git", "cache", "repo"));
        Assert.True(Directory.Exists(Path.Combine(dir, "git", "cache", "repo")));
        Assert.Equal(["git", "manifest-files.json"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Where(n => n is "git" or "manifest-files.json" or "state.old").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Another_folder_in_its_place_is_not_the_state_dir_and_an_other_state_dir_is_not_affected()
    {
        var dir = Path.Combine(parent.FullName, "state");
        using var held = StateDirLock.Acquire(dir);
        using var watch = new StateDirWatch(held, NullLogger<StateDirWatch>.Instance);
        Directory.Move(dir, dir + ".old");
        Directory.CreateDirectory(dir);
        Assert.Contains("is another folder than the one the agent started with", watch.Check());
        Assert.Throws<StateWriteException>(() => StateFile.Write(Path.Combine(dir, "x.json"), "[1]"));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        StateFile.Write(Path.Combine(parent.FullName, "state2", "x.json"), "[1]"); // a sibling whose name starts alike
    }

    [Fact]
    public void Only_the_lock_file_deleted_is_made_and_locked_again()
    {
        var dir = Path.Combine(parent.FullName, "state");
        using var held = StateDirLock.Acquire(dir);
        using var watch = new StateDirWatch(held, NullLogger<StateDirWatch>.Instance);
        File.Delete(held.Path);
        Assert.Null(watch.Check());
        Assert.True(File.Exists(held.Path));
        Assert.Throws<StateDirLockedException>(() => StateDirLock.Acquire(dir));
    }

    /// <summary>Relock made the lock's folder (the state dir itself) again with Directory.CreateDirectory: a state dir
    /// moved away after its lock was found lost came back empty, and moving it back nested it.</summary>
    [Fact]
    public void Relocking_never_makes_a_moved_away_state_dir_again_nor_locks_another_folder_in_its_place()
    {
        var dir = Path.Combine(parent.FullName, "state");
        using var held = StateDirLock.Acquire(dir);
        File.Delete(held.Path);
        Directory.Move(dir, dir + ".old");
        Assert.Contains($"the state dir {dir} is missing: it is not made again", held.Relock());
        Assert.False(Directory.Exists(dir));

        Directory.CreateDirectory(dir);
        Assert.Contains("is another folder than the one the agent started with", held.Relock());
        using (var other = StateDirLock.Acquire(dir)) Assert.NotNull(other); // the lock there is not held by this agent
        Directory.Delete(dir, recursive: true);

        Directory.Move(dir + ".old", dir);
        Assert.Null(held.Relock());
        Assert.True(File.Exists(held.Path));
        Assert.Null(held.Lost());
        Assert.Throws<StateDirLockedException>(() => StateDirLock.Acquire(dir));
    }
}
