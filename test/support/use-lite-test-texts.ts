/**
 * Varied inputs for the USE Lite tests, written for them (the eval sets must not be copied into
 * the repository): news-like sentences, empty and blank strings, long texts past the 128-token
 * clip, non-ASCII scripts, numbers, URLs, odd whitespace.
 */
const longArticle = [
  "The central bank held interest rates at 4.5% on Thursday, saying inflation had eased but remained above its 2% target.",
  "Officials pointed to weaker consumer spending in the final quarter and warned that energy prices could rise again over the winter.",
  "Markets had expected the decision; the currency barely moved, while government bond yields fell slightly after the announcement.",
  "Several members of the committee argued for a cut, citing slowing wage growth and a rise in unemployment to 4.3% in October.",
  "The governor said further moves would depend on the data, and that the bank was prepared to act if the outlook deteriorated.",
  "Analysts at three large lenders now expect the first reduction in the spring, with two more to follow before the end of next year.",
].join(" ");

export const USE_LITE_TEST_TEXTS: readonly string[] = [
  "",
  " ",
  "   leading and trailing spaces   ",
  "Hegseth orders a halt to cyber operations against Russia",
  "Pentagon denies halt to cyber operations",
  "Ad sales boost profits at media giant",
  "Dollar gains on Greenspan speech",
  "Yukos unit buyer faces loan claim",
  "Storms kill at least 26 people as floods sweep the coast; dozens more are missing.",
  "SpaceX launches 23 Starlink satellites from Cape Canaveral at 3:14 a.m. EST",
  "Shares of ACME Corp. (NASDAQ: ACME) rose 12.5% to $1,234.56 after Q3 results beat estimates.",
  "The 2024 Summer Olympics opened in Paris on 26 July 2024.",
  "1 2 3 4 5 6 7 8 9 10 100 1000 10000 3.14159 -42 +7 1e-9 50%",
  "Call +44 20 7946 0958 or visit https://example.com/news?id=42&lang=en#top",
  "e-mail: press@example.org, tel. 555-0100",
  "Naïve café owners in Zürich protest a rent rise — «C'est trop», says one.",
  "Bundesregierung beschließt Entlastungspaket für Pendler und Familien",
  "La selección española gana la final por 2-1 en la prórroga",
  "Президент подписал закон о бюджете на следующий год",
  "東京株式市場で日経平均株価が反発した",
  "中国宣布新的经济刺激计划",
  "وزير الخارجية يلتقي نظيره الفرنسي في باريس",
  "नई दिल्ली में भारी बारिश से यातायात प्रभावित",
  "Emoji reactions 😀👍🏽🔥 flood the comments 🎉",
  "Fullwidth ＡＢＣ and ligature ﬁnance and circled ① ② ③",
  "Tabs\tand\nnewlines\r\nand\u00a0no-break spaces\u2003em spaces",
  "ALL CAPS HEADLINE: MARKETS CRASH AS RATES SOAR",
  "all lower case headline about the weather tomorrow",
  "Pneumonoultramicroscopicsilicovolcanoconiosis is a very long word",
  "Ooooooooooooooooooooh nooooooooooo!!!!!!!!!!!",
  "Q&A: what the new <b>rules</b> mean for renters [updated]",
  '"Quoted" ‘curly’ “quotes” and… an ellipsis',
  longArticle,
  `${longArticle} ${longArticle}`,
  "word ".repeat(300).trim(),
];
