using Agent.Core.Model;
using Agent.Jobs;

namespace Agent.UnitTests.Jobs;

/// <summary>A Job's template identity takes relative bind sources as written: moving the folder that holds the manifest
/// is not a change of the Job (probe-15l H4), editing the bind is.</summary>
public sealed class JobTemplateIdentityTests
{
    private static DesiredJob Job(string resolved, string? written) => DesiredJob.From(new Job(new ObjectMetadata("migrate", new Dictionary<string, string>(), new Dictionary<string, string>()),
        new JobTemplate { Container = new ContainerSpec { Image = "busybox:1.35", Mounts = [new MountSpec(MountType.Bind, resolved, "/out") { WrittenSource = written }] } },
        new SourceLocation("jobs/migrate.yaml", 1, 1)))!;

    [Fact]
    public void A_relative_bind_that_resolves_elsewhere_after_a_move_keeps_the_template_and_spec_hash()
    {
        var before = Job("/m/jobs/out", "./out");
        var moved = Job("/m/jobs2/out", "./out");
        Assert.Equal(before.TemplateHash, moved.TemplateHash);
        Assert.Equal(before.SpecHash, moved.SpecHash);
        Assert.NotEqual(before.TemplateHash, Job("/m/jobs/data", "./data").TemplateHash); // an edit of the bind is a change
        Assert.NotEqual(Job("/srv/a", null).TemplateHash, Job("/srv/b", null).TemplateHash); // an absolute bind is the path itself
    }

    [Fact]
    public void A_history_kept_with_the_resolved_hash_of_earlier_agents_is_the_same_template()
    {
        var job = Job("/m/jobs/out", "./out");
        Assert.True(job.IsTemplate(job.ResolvedTemplateHash));
        Assert.True(job.IsTemplate(job.TemplateHash));
        Assert.False(job.IsTemplate(Job("/m/jobs2/out", "./out").ResolvedTemplateHash)); // moved and upgraded at once: runs again
        Assert.False(job.IsTemplate(null));
    }
}
