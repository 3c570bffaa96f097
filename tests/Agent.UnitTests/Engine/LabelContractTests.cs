using Agent.Core.Model;
using Agent.Engine;
using Agent.Hosting;

namespace Agent.UnitTests.Engine;

public sealed class LabelContractTests
{
    private readonly AgentLabels labels = new("abc123");

    [Fact]
    public void Replica_labels_carry_managed_instance_and_owner()
    {
        var replica = labels.ForReplica(new ObjectKey("ServiceGroup", "core"), "api", 1, "deadbeef");
        Assert.Equal("true", replica["agent.managed"]);
        Assert.Equal("abc123", replica["agent.instance"]);
        Assert.Equal("ServiceGroup", replica["agent.kind"]);
        Assert.Equal("core", replica["agent.object"]);
        Assert.Equal("api", replica["agent.service"]);
        Assert.Equal("1", replica["agent.replica"]);
        Assert.Equal("deadbeef", replica["agent.spec-hash"]);
    }

    [Fact]
    public void Prefix_is_configurable()
    {
        var custom = new AgentLabels("x", "io.example");
        Assert.Equal(["io.example.managed=true", "io.example.instance=x"], custom.InstanceSelector);
    }

    [Theory]
    [InlineData("true", "abc123", true)]
    [InlineData("true", "other", false)]
    [InlineData("false", "abc123", false)]
    [InlineData(null, "abc123", false)]
    public void Only_objects_of_this_instance_are_owned(string? managed, string instance, bool owned)
    {
        var objectLabels = new Dictionary<string, string> { ["agent.instance"] = instance };
        if (managed is not null) objectLabels["agent.managed"] = managed;
        Assert.Equal(owned, labels.IsOwned(objectLabels));
        Assert.False(labels.IsOwned(null));
    }

    [Theory]
    [InlineData("busybox:1.35", "busybox", "1.35")]
    [InlineData("busybox", "busybox", "latest")]
    [InlineData("registry:5000/team/app", "registry:5000/team/app", "latest")]
    [InlineData("registry:5000/team/app:v2", "registry:5000/team/app", "v2")]
    [InlineData("app@sha256:abc", "app", "sha256:abc")]
    public void Image_references_split_into_image_and_tag(string reference, string image, string tag) =>
        Assert.Equal((image, tag), ImageReference.Split(reference));

    [Theory]
    [InlineData(null, "unix:///var/run/docker.sock")]
    [InlineData("tcp://10.0.0.1:2375", "tcp://10.0.0.1:2375/")]
    [InlineData("unix:///run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock")]
    public void Engine_endpoint_comes_from_configuration_or_the_default_socket(string? configured, string expected)
    {
        var saved = Environment.GetEnvironmentVariable("DOCKER_HOST");
        Environment.SetEnvironmentVariable("DOCKER_HOST", null);
        try
        {
            Assert.Equal(expected, EngineEndpoint.Resolve(configured).ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_HOST", saved);
        }
    }

    [Fact]
    public void A_malformed_docker_host_is_a_clear_error()
    {
        var error = Assert.Throws<EngineException>(() => EngineEndpoint.Resolve("ftp://nope"));
        Assert.Contains("unix://", error.Message);
    }

    [Fact]
    public void Instance_id_is_generated_once_and_kept_in_the_state_dir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "agent-state-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = InstanceIdentity.Resolve(new AgentOptions { StateDir = dir });
            var second = InstanceIdentity.Resolve(new AgentOptions { StateDir = dir });
            Assert.Equal(first, second);
            Assert.Equal("given", InstanceIdentity.Resolve(new AgentOptions { StateDir = dir, Instance = "given" }));
            Assert.Throws<ArgumentException>(() => InstanceIdentity.Resolve(new AgentOptions { StateDir = dir, Instance = "bad id!" }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
