using Agent.Sources;

namespace Agent.UnitTests.Git;

public sealed class GitFetchLeftoversTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "fetch-leftovers-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void What_a_failed_fetch_leaves_in_the_cache_is_removed_and_the_objects_are_kept()
    {
        var objects = Path.Combine(_cache, "objects");
        var kept = new[] { Path.Combine(objects, "ab", "cdef0123"), Path.Combine(objects, "pack", "pack-1.pack"), Path.Combine(objects, "pack", "pack-1.idx"), Path.Combine(_cache, "tmp_obj_outside") };
        var leftovers = new[] { Path.Combine(objects, "ab", "tmp_obj_x1"), Path.Combine(objects, "pack", "tmp_pack_y2"), Path.Combine(objects, "pack", "tmp_idx_z3"), Path.Combine(objects, "incoming-q4", "pack", "p.pack") };
        foreach (var file in kept.Concat(leftovers))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, "x");
        }

        GitFetcher.RemoveFetchLeftovers(_cache);

        Assert.All(kept, file => Assert.True(File.Exists(file), file));
        Assert.All(leftovers, file => Assert.False(File.Exists(file), file));
        Assert.False(Directory.Exists(Path.Combine(objects, "incoming-q4")));
    }

    [Fact]
    public void A_cache_without_objects_is_left_alone()
    {
        GitFetcher.RemoveFetchLeftovers(_cache);
        Assert.False(GitFetcher.NeedsCompacting(_cache));
    }

    [Fact]
    public void A_cache_is_compacted_when_a_fetch_left_loose_objects_or_a_second_pack_and_not_when_it_holds_one_pack()
    {
        var objects = Path.Combine(_cache, "objects");
        void Touch(string file)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(objects, file))!);
            File.WriteAllText(Path.Combine(objects, file), "x");
        }
        Touch("pack/pack-1.pack");
        Touch("pack/pack-1.idx");
        Touch("info/packs");
        Directory.CreateDirectory(Path.Combine(objects, "ab")); // an emptied loose-object folder
        Assert.False(GitFetcher.NeedsCompacting(_cache));
        Touch("pack/pack-2.pack");
        Assert.True(GitFetcher.NeedsCompacting(_cache));
        File.Delete(Path.Combine(objects, "pack", "pack-2.pack"));
        Touch("ab/cdef0123");
        Assert.True(GitFetcher.NeedsCompacting(_cache));
    }

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }
}
