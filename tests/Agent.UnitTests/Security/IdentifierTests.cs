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
}
