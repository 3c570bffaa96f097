using Agent.Core.Model;
using Agent.Sources;

namespace Agent.UnitTests.Git;

/// <summary>probe-17 F9: the applied revision shown after a failed sync keeps the ref its commit was fetched from.</summary>
public sealed class GitAppliedRevisionTests
{
    private static readonly GitCheckout Checkout = new("platform", "88d91689", "/x");

    [Fact]
    public void After_spec_ref_changed_to_a_missing_branch_the_shown_revision_keeps_the_old_ref()
    {
        Assert.Equal("main@sha1:88d91689", GitDocuments.AppliedAfterFailure("main@sha1:88d91689", new GitRef(Branch: "nosuchbranch"), Checkout));
        Assert.Equal("v1.2.0@sha1:88d91689", GitDocuments.AppliedAfterFailure("v1.2.0@sha1:88d91689", new GitRef(Branch: "main"), Checkout));
        Assert.Equal("sha1:88d91689", GitDocuments.AppliedAfterFailure("sha1:88d91689", new GitRef(Branch: "main"), Checkout));
    }

    [Fact]
    public void A_shown_revision_of_another_commit_or_none_is_replaced_by_the_checkout_under_the_current_ref()
    {
        Assert.Equal("main@sha1:88d91689", GitDocuments.AppliedAfterFailure("main@sha1:0ld", new GitRef(Branch: "main"), Checkout));
        Assert.Equal("dev@sha1:88d91689", GitDocuments.AppliedAfterFailure(null, new GitRef(Branch: "dev"), Checkout));
        Assert.Equal("main@sha1:88d91689", GitDocuments.AppliedAfterFailure("main@sha1:88d91689ff", new GitRef(Branch: "main"), Checkout));
        Assert.Null(GitDocuments.AppliedAfterFailure("main@sha1:88d91689", new GitRef(Branch: "main"), null));
    }
}
