using System.Runtime.InteropServices;
using System.Text;
using Agent.Core.Manifests;
using Agent.Core.Model;
using Agent.Core.Security;
using Agent.Core.Sources;
using Agent.Sources;

namespace Agent.UnitTests.Sources;

/// <summary>A name that is not valid UTF-8 (a file, or a folder a manifest was moved into) is an entry that cannot be
/// read: it holds what its folder defined, never a deletion (probe-15j H2).</summary>
public sealed class UndecodableNameTests() : ManifestFolderTestBase("undecodable")
{
    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameBytes(byte[] from, byte[] to);

    [DllImport("libc", EntryPoint = "mkdir", SetLastError = true)]
    private static extern int MkdirBytes(byte[] path, uint mode);

    private static byte[] Bytes(string path, params byte[] tail) => [.. Encoding.UTF8.GetBytes(path), .. tail];

    private static byte[] Z(byte[] path) => [.. path, 0];

    private void Rename(byte[] from, byte[] to) => Assert.Equal(0, RenameBytes(Z(from), Z(to)));

    private static string Group(string name) =>
        $"apiVersion: agent/v1\nkind: ServiceGroup\nmetadata:\n  name: {name}\nspec:\n  services:\n    - name: web\n      image: busybox:1.35\n";

    private static ObjectKey Key(string name) => new(ServiceGroup.KindName, name);

    [Fact]
    public void A_file_renamed_to_a_name_that_is_not_utf8_holds_its_objects_and_is_reported_until_renamed_back()
    {
        Write("c.yaml", Group("c"));
        Write("d.yaml", Group("d"));
        var store = NewStore(new ManifestFolder(Root));
        store.Reload();

        var bad = Bytes(Path.Combine(Root, "c"), 0xff, (byte)'.', (byte)'y', (byte)'a', (byte)'m', (byte)'l');
        Rename(Bytes(Path.Combine(Root, "c.yaml")), bad);
        store.Reload();

        var held = store.Get(Key("c"))!;
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.NotNull(held.Object);
        Assert.Contains("\"c\\xff.yaml\" in the manifests folder", held.Errors[0].ToString());
        Assert.False(store.Get(Key("d"))!.IsBroken); // the rest of the folder still reads
        var problem = Assert.Single(store.Problems);
        Assert.Equal(SourceProblemReasons.UndecodableName, problem.Reason);
        var listed = Assert.Single(store.FileProblems, p => p.Path == SourceProblem.RootFolder);
        Assert.Single(listed.Errors, e => e.Contains("c\\xff.yaml")); // once, not as the read's error and again as the problem
        Assert.Contains("may define ServiceGroup/other", store.PruneHold(Key("other")));
        // `agent validate` loads the same read: an error, so exit 1.
        Assert.Contains(new ManifestFolder(Root).Load(SecurityPolicy.Default).Errors, e => e.ToString().Contains("c\\xff.yaml"));

        Rename(bad, Bytes(Path.Combine(Root, "c.yaml")));
        store.Reload();
        Assert.False(store.Get(Key("c"))!.IsBroken);
        Assert.Empty(store.Problems);
    }

    [Fact]
    public void A_manifest_moved_into_a_folder_whose_name_is_not_utf8_is_held_and_the_folder_named()
    {
        Write("e.yaml", Group("e"));
        Directory.CreateDirectory(Path.Combine(Root, "sub"));
        Write("sub/f.yaml", Group("f"));
        var store = NewStore(new ManifestFolder(Root));
        store.Reload();

        var team = Bytes(Path.Combine(Root, "sub", "team"), 0xe9);
        Assert.Equal(0, MkdirBytes(Z(team), Convert.ToUInt32("755", 8)));
        Rename(Bytes(Path.Combine(Root, "sub", "f.yaml")), [.. team, (byte)'/', (byte)'f', (byte)'.', (byte)'y', (byte)'a', (byte)'m', (byte)'l']);
        store.Reload();

        var held = store.Get(Key("f"))!;
        Assert.Equal(DesiredEntry.ManifestUnreadable, held.HeldReason);
        Assert.NotNull(held.Object);
        Assert.Contains("sub:1:1: \"team\\xe9\" in this folder", held.Errors[0].ToString());
        Assert.False(store.Get(Key("e"))!.IsBroken);
        Assert.Equal("sub", Assert.Single(store.Problems).Path);

        Rename(team, Bytes(Path.Combine(Root, "sub", "team")));
        store.Reload();
        Assert.False(store.Get(Key("f"))!.IsBroken);
        Assert.Equal("sub/team/f.yaml", store.Get(Key("f"))!.Object!.Source.File);
        Assert.Empty(store.Problems);
    }

    [Fact]
    public void Escaping_writes_only_the_bytes_that_are_not_utf8() =>
        Assert.Equal("é\\xffa\\xc3", UndecodableNames.Escape([0xc3, 0xa9, 0xff, (byte)'a', 0xc3]));
}
