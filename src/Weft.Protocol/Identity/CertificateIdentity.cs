using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Weft.Protocol.Identity;

/// <summary>Reads the SPIFFE identity (the URI SAN) of a certificate; .NET exposes no URI SAN reader.</summary>
public static class CertificateIdentity
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public static string? GetSpiffeUri(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value == SubjectAlternativeNameOid && FromSubjectAlternativeName(extension) is { } uri)
            {
                return uri;
            }
        }

        return null;
    }

    /// <summary>The spiffe:// URI in a subjectAltName extension (of a certificate or a CSR), if any.</summary>
    public static string? FromSubjectAlternativeName(X509Extension extension)
    {
        try
        {
            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(UriTag))
                {
                    var uri = names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag);
                    if (uri.StartsWith("spiffe://", StringComparison.Ordinal))
                    {
                        return uri;
                    }
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
        }

        return null;
    }
}
