using Agent.Core.Security;
using Agent.Sources;

namespace Agent.UnitTests.Manifests;

/// <summary>`agent validate` reports every error of every document in one pass (Corpus/one-pass): an invalid name does not
/// hide the spec's errors, security errors come with structural ones, an interpolation error does not hide the compose
/// file's other errors, list items are reported at their own line, and a YAML syntax error where the parser stopped.</summary>
public sealed class OnePassValidationTests
{
    [Fact]
    public void Every_error_of_every_document_is_reported_at_its_file_line_and_field()
    {
        var set = new ManifestFolder(CorpusCase.Folder("one-pass")).Load(SecurityPolicy.Default);
        var errors = set.Errors.Select(e => $"{e.File}:{e.Line}:{e.Column}: {e.Path}").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            "groups.yaml:11:19: spec.services[1].privileged",    // security, reported with the structural errors
            "groups.yaml:12:17: spec.services[1].replicas",      // structural, beside an invalid metadata.name
            "groups.yaml:17:11: spec.services[2].ports[1]",      // the list item's own line
            "groups.yaml:19:52: spec.services[2].healthcheck.retries",
            "groups.yaml:4:9: metadata.name",
            "shop/compose.yaml:10:9: services.db.ports[1]",      // not hidden by the interpolation error
            "shop/compose.yaml:3:12: services.web.image",        // ${IMG:?...}
            "shop/compose.yaml:7:17: services.db.privileged",
            "syntax.yaml:8:14: ",                                 // the unclosed '[' of line 8, not the document's start
        ], errors);
        Assert.Empty(set.Objects);
        // No cascade: worker depends on api, whose replicas field is broken; api is still a service of the group.
        Assert.DoesNotContain(set.Errors, e => e.Path.Contains("dependsOn", StringComparison.Ordinal));
        Assert.Contains("required variable IMG is missing: set IMG to the image to run", set.Errors.Single(e => e.Path == "services.web.image").Message);
        Assert.Contains("this '[' is never closed with ']'", set.Errors.Single(e => e.File == "syntax.yaml").Message);
    }
}
