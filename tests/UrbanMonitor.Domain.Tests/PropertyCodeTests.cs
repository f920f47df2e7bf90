using UrbanMonitor.Domain.Codes;

namespace UrbanMonitor.Domain.Tests;

public class PropertyCodeTests
{
    [Theory]
    [InlineData("MZR-1-15-22", "MZR", "1", "15", "22", new int[0])]
    [InlineData("RIO-013-7-120", "RIO", "013", "7", "120", new int[0])]
    [InlineData("MZR-1-15-22/1", "MZR", "1", "15", "22", new[] { 1 })]
    [InlineData("SYN-4-88-19/2/3", "SYN", "4", "88", "19", new[] { 2, 3 })]
    public void ParsesCodesIntoTheirPartsAndPrintsThemBack(string text, string city, string district, string block, string parcel, int[] splits)
    {
        var code = PropertyCode.TryParse(text);
        Assert.NotNull(code);
        Assert.Equal((city, district, block, parcel), (code.CityCode, code.District, code.Block, code.Parcel));
        Assert.Equal(splits, code.SplitPath);
        Assert.Equal(text, code.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("MZR-1-15")]
    [InlineData("mzr-1-15-22")]
    [InlineData("MZR-1-15-22-9")]
    [InlineData("MZR-1-15-22/")]
    [InlineData("MZR-1-15-22/a")]
    [InlineData("MZR-1 -15-22")]
    [InlineData("M-1-15-22")]
    public void RejectsTextThatIsNotACode(string text) => Assert.Null(PropertyCode.TryParse(text));

    [Theory]
    [InlineData("15", true)]
    [InlineData("A7", true)]
    [InlineData("", false)]
    [InlineData("1-2", false)]
    [InlineData("1/2", false)]
    [InlineData("1 2", false)]
    [InlineData("۱۵", true)]
    [InlineData("1\u200B", false)]
    [InlineData("1'--", false)]
    [InlineData("1\u0000", false)]
    [InlineData("123456789012345678901234567890123", false)]
    public void APartMayNotHoldASeparator(string part, bool valid) => Assert.Equal(valid, PropertyCode.IsValidPart(part));

    [Theory]
    [InlineData("mazar-e-sharif", true)]
    [InlineData("rio-de-janeiro", true)]
    [InlineData("synthetic", true)]
    [InlineData("Rio", false)]
    [InlineData("rio--de", false)]
    [InlineData("-rio", false)]
    [InlineData("rio_de", false)]
    public void CitySlugsAreLowerCaseWordsJoinedByHyphens(string slug, bool valid) => Assert.Equal(valid, CityIdentity.IsValidSlug(slug));

    [Theory]
    [InlineData("MZR", true)]
    [InlineData("NBO", true)]
    [InlineData("M", false)]
    [InlineData("MZ-R", false)]
    [InlineData("mzr", false)]
    public void CityCodesHaveNoHyphen(string code, bool valid) => Assert.Equal(valid, CityIdentity.IsValidCode(code));
}
