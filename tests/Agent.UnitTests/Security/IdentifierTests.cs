using Agent.Core.Security;

namespace Agent.UnitTests.Security;

/// <summary>Class 8: ids and names are judged before any engine call.</summary>
public sealed class IdentifierTests
{
    [Theory]
    [InlineData("web-1")]
    [InlineData("g-web-1")]
    [InlineData("a1b2c3d4e5f6")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("my_app.v2")]
    public void Container_names_and_ids_pass(string id) => Assert.Equal(IdentifierCheck.Valid, Identifiers.Container(id));

    [Theory]
    [InlineData("a\0b")]
    [InlineData("\0")]
    [InlineData("web\n")]
    [InlineData("web\u007f")]
    public void Control_characters_are_malformed(string id) => Assert.Equal(IdentifierCheck.Malformed, Identifiers.Container(id));

    [Theory]
    [InlineData("a%2Fb")]       // the encoded slash, as routing hands it over
    [InlineData("a/b")]
    [InlineData("../containers/json")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("-rf")]
    [InlineData("a b")]
    [InlineData("a?all=1")]
    [InlineData("")]
    [InlineData("wéb")]
    public void Ids_the_engine_could_never_have_made_cannot_exist(string id) => Assert.Equal(IdentifierCheck.CannotExist, Identifiers.Container(id));

    [Fact]
    public void Very_long_names_cannot_exist() => Assert.Equal(IdentifierCheck.CannotExist, Identifiers.Container(new string('a', 129)));

    [Theory]
    [InlineData("busybox:1.35", IdentifierCheck.Valid)]
    [InlineData("registry.local:5000/team/api@sha256:abc", IdentifierCheck.Valid)]
    [InlineData("busybox\0", IdentifierCheck.Malformed)]
    [InlineData("../../etc", IdentifierCheck.CannotExist)]
    [InlineData("a//b", IdentifierCheck.CannotExist)]
    [InlineData("a b", IdentifierCheck.CannotExist)]
    public void Image_references_are_judged_too(string reference, IdentifierCheck expected) => Assert.Equal(expected, Identifiers.Image(reference));

    [Theory]
    [InlineData("w", "is one character")]
    [InlineData("-w", "is not a name the engine accepts")]
    [InlineData("w b", "is not a name the engine accepts")]
    public void Names_the_engine_would_refuse_for_a_container_or_volume_are_said_so_before_any_call(string name, string problem) =>
        Assert.StartsWith(problem, Identifiers.EngineNameProblem(name));

    [Theory]
    [InlineData("ab")]
    [InlineData("w1")]
    [InlineData("my_app.v2")]
    public void Names_of_two_characters_and_more_pass_the_engines_rule(string name) => Assert.Null(Identifiers.EngineNameProblem(name));

    [Theory]
    [InlineData("P62_Up")]
    [InlineData("web.v2")]
    [InlineData("9lives")]
    public void A_run_takes_any_name_docker_run_takes_not_only_a_manifest_services_lowercase_one(string name)
    {
        // probe-62: the run's name went through the manifest's service rule (lowercase, digits, '-'), while docker run
        // --name and the docs take the engine's.
        var (run, errors) = Agent.Core.Manifests.RunRequestParser.Parse($$$"""{"service": {"name": "{{{name}}}", "image": "busybox:1.35"}}""",
            Agent.UnitTests.Manifests.MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Empty(errors);
        Assert.Equal(name, run!.Service.Name);
        var (_, bad) = Agent.Core.Manifests.RunRequestParser.Parse("""{"service": {"name": "a b", "image": "busybox:1.35"}}""",
            Agent.UnitTests.Manifests.MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Equal("service.name", Assert.Single(bad).Path);
    }

    [Fact]
    public void A_one_character_run_name_is_refused_naming_service_name_and_so_is_a_compose_container_name_and_a_volume()
    {
        var (run, errors) = Agent.Core.Manifests.RunRequestParser.Parse("""{"service": {"name": "w", "image": "busybox:1.35"}}""",
            Agent.UnitTests.Manifests.MemoryManifestFiles.Instance, SecurityPolicy.Default, AdmissionContext.Offline);
        Assert.Null(run);
        var error = Assert.Single(errors);
        Assert.Equal(("service.name", "\"w\" is one character: the engine names containers and volumes with two at least ([a-zA-Z0-9][a-zA-Z0-9_.-]+)"), (error.Path, error.Message));

        using var folder = new Agent.UnitTests.Compose.ComposeStackFolder();
        // The Compose schema's pattern is not anchored: it refuses "w" but passes "-web", which the engine would refuse too.
        Assert.StartsWith("shop/compose.yaml:4:21: services.web.container_name: \"w\" does not match the pattern",
            Assert.Single(folder.Errors("services:\n  web:\n    image: busybox:1.35\n    container_name: w\n")));
        Assert.Equal("shop/compose.yaml:4:21: services.web.container_name: \"-web\" is not a name the engine accepts: a letter or digit, then letters, digits, '_', '.' or '-' ([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
            Assert.Single(folder.Errors("services:\n  web:\n    image: busybox:1.35\n    container_name: \"-web\"\n")));

        var volume = new Agent.Core.Model.ContainerSpec { Image = "busybox:1.35", Mounts = [new(Agent.Core.Model.MountType.Volume, "v", "/data", false)] };
        Assert.Contains(SecurityPolicy.Default.Check(volume, AdmissionContext.Offline), v => v.Field == "volumes[0]" && v.Message.Contains("two characters at least"));
    }
}
