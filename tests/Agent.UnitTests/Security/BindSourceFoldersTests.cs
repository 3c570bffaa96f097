using Agent.Admission;
using Agent.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.UnitTests.Security;

/// <summary>A relative bind's missing folder is made for the first container created with it, as Compose does; once a
/// container was created with it, a folder that is gone is not made again empty (moved away for a moment, deleted by
/// mistake: a database would start anew in it), after a restart too, until the object is deleted.</summary>
public sealed class BindSourceFoldersTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("agent-bind-folders-");
    private static readonly ObjectKey Db = new(ServiceGroup.KindName, "db");

    public void Dispose() => root.Delete(recursive: true);

    private string State => Directory.CreateDirectory(Path.Combine(root.FullName, "state")).FullName;
    private string Data => Path.Combine(root.FullName, "manifests", "data");

    private ContainerSpec Spec(bool create = true) => new()
    {
        Image = "busybox:1.35",
        Mounts = [new MountSpec(MountType.Bind, Data, "/var/lib/db") { CreateSource = create }],
    };

    private BindSourceFolders Folders() => new(State, NullLogger<BindSourceFolders>.Instance);

    [Fact]
    public void The_first_create_makes_the_missing_folder()
    {
        Assert.Null(Folders().CreateMissing(Spec(), Db));
        Assert.True(Directory.Exists(Data));
    }

    [Fact]
    public void A_folder_a_container_was_created_with_is_not_made_again_once_gone_and_the_reason_says_how_to_go_on()
    {
        var folders = Folders();
        Assert.Null(folders.CreateMissing(Spec(), Db));
        File.WriteAllText(Path.Combine(Data, "PG_VERSION"), "16");
        Directory.Move(Data, Data + ".away");

        var refused = folders.CreateMissing(Spec(), Db);

        Assert.False(Directory.Exists(Data));
        Assert.Equal($"the bind folder {Data} is gone: containers of ServiceGroup/db were created with it, so it is not made again empty " +
                     "(a folder moved away for a moment or deleted by mistake would come back empty); put it back, or create it " +
                     $"(mkdir {Data}) to start with an empty folder", refused);
        // Put back, or made by hand: the create goes on with what the folder holds.
        Directory.Move(Data + ".away", Data);
        Assert.Null(folders.CreateMissing(Spec(), Db));
        Assert.Equal("16", File.ReadAllText(Path.Combine(Data, "PG_VERSION")));
    }

    [Fact]
    public void A_folder_that_existed_before_the_first_create_is_remembered_too()
    {
        Directory.CreateDirectory(Data);
        Assert.Null(Folders().CreateMissing(Spec(), Db));
        Directory.Delete(Data);
        Assert.NotNull(Folders().CreateMissing(Spec(), Db));
        Assert.False(Directory.Exists(Data));
    }

    [Fact]
    public void The_record_outlives_a_restart_and_a_deleted_object_starts_fresh()
    {
        Assert.Null(Folders().CreateMissing(Spec(), Db));
        Directory.Delete(Data);

        var restarted = Folders();
        Assert.NotNull(restarted.CreateMissing(Spec(), Db));
        Assert.False(Directory.Exists(Data));

        restarted.Forget(new ObjectKey(ServiceGroup.KindName, "other"));
        Assert.NotNull(Folders().CreateMissing(Spec(), Db));
        restarted.Forget(Db);
        Assert.Null(Folders().CreateMissing(Spec(), Db));
        Assert.True(Directory.Exists(Data));
    }

    [Fact]
    public void A_bind_not_made_by_the_agent_is_left_to_the_engine()
    {
        Assert.Null(Folders().CreateMissing(Spec(create: false), Db));
        Assert.False(Directory.Exists(Data));
        Assert.False(File.Exists(Path.Combine(State, BindSourceFolders.FileName)));
    }

    [Fact]
    public void A_corrupt_record_is_moved_aside_and_the_folder_made_as_for_a_first_create()
    {
        File.WriteAllText(Path.Combine(State, BindSourceFolders.FileName), "{\"" + Data + "\": ");
        Assert.Null(Folders().CreateMissing(Spec(), Db));
        Assert.True(Directory.Exists(Data));
        Assert.Single(Directory.GetFiles(State, BindSourceFolders.FileName + ".corrupt-*"));
    }
}
