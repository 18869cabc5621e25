/**
 * The word list of the tiny BERT test fixture: common English words written for it by hand
 * (no corpus, no evaluation data), in topic groups a newsroom would recognise, plus neutral
 * words, WordPiece suffixes and single characters, so that any English text tokenises (unknown
 * words break into pieces, never into [UNK] unless a character is outside a-z, 0-9 and the
 * punctuation below).
 *
 * A word belongs to at most one group; buildTinyBertVocabulary checks it.
 */
export const topicGroups: Readonly<Record<string, readonly string[]>> = {
  economy: words(`economy economic bank banks central interest rate rates inflation prices price market markets
    stock stocks shares investors trade tariff tariffs tax taxes budget debt growth recession jobs unemployment
    wages salary profit profits revenue company companies business industry oil dollar euro currency finance
    financial loan loans mortgage spending exports imports bond bonds earnings billion retail consumer consumers
    fund funds economist economists`),
  sport: words(`sport sports football soccer match goal goals team teams player players coach league cup final
    champion champions championship tournament season win wins won victory defeat score scored penalty penalties
    stadium fans club striker referee olympic olympics medal race tennis cricket rugby basketball baseball golf
    athlete athletes marathon semifinal quarterfinal trophy kick shootout`),
  weather: words(`weather storm storms rain flood floods flooding snow wind winds hurricane typhoon cyclone tornado
    heat heatwave temperature temperatures drought wildfire wildfires fire fires climate forecast cold warm sunny
    cloud clouds thunder lightning hail frost ice coastal rainfall emissions carbon warming evacuate evacuated
    earthquake tsunami landslide volcano`),
  health: words(`health hospital hospitals doctor doctors nurse nurses patient patients disease virus vaccine
    vaccines vaccination outbreak pandemic cancer treatment drug drugs medicine medical clinic surgery infection
    infections symptoms illness clinical therapy diabetes heart mental care epidemic cholera measles flu
    influenza dose pharmaceutical`),
  politics: words(`election elections vote votes voters voting parliament president prime minister ministers
    government party parties campaign candidate candidates senate congress law laws bill policy opposition
    coalition democracy democratic republican referendum ballot poll polls cabinet leader leaders mayor governor
    legislation reform constitution political politics`),
  conflict: words(`war army military troops soldiers attack attacks missile missiles drone drones ceasefire invasion
    defence defense weapons bomb bombing airstrike airstrikes killed forces navy fighter fighters rebels conflict
    offensive frontline artillery tank tanks pentagon nato militants hostages battle siege occupation shelling
    cyber intelligence security`),
  technology: words(`technology tech computer computers software internet online digital data app apps smartphone
    phone phones chip chips semiconductor artificial robot robots algorithm network networks startup platform
    users hackers hacking website encryption battery batteries electric code programming processor device
    devices gadget browser streaming`),
  science: words(`science scientists scientist research researchers study space nasa rocket rockets launch launched
    orbit moon mars planet planets astronaut astronauts telescope galaxy star stars satellite satellites asteroid
    comet physics chemistry biology laboratory experiment discovery species fossil fossils dinosaur genome dna
    particle universe solar`),
  justice: words(`police crime crimes court courts judge judges trial arrest arrested prison jail sentence
    sentenced guilty charged charges murder theft fraud robbery suspect suspects lawyer lawyers prosecutor
    prosecutors jury verdict investigation detectives shooting gun guns stabbing convicted bail appeal lawsuit
    smuggling corruption`),
  culture: words(`film films movie movies music song songs album singer band concert festival actor actress
    director theatre theater art artist artists museum painting exhibition novel book books author poet poetry
    award awards oscar oscars dance opera gallery television series celebrity hollywood premiere orchestra`),
  food: words(`food cook cooking recipe recipes bread cake cheese meat chicken beef fish rice pasta soup salad
    vegetables fruit apple lemon chocolate sugar salt butter flour bake baking bakery restaurant restaurants chef
    dinner lunch breakfast meal meals kitchen wine coffee tea dessert spicy delicious drizzle`),
  transport: words(`train trains railway rail airport airline airlines flight flights plane planes car cars bus buses
    traffic road roads highway bridge tunnel ship ships ferry port passengers travel tourism tourists crash
    driver drivers bicycle metro subway cargo shipping aviation pilot pilots vehicle vehicles holiday`),
  education: words(`school schools university universities student students teacher teachers education class
    classes exam exams college degree graduate graduates campus lesson lessons pupils curriculum tuition
    scholarship professor professors academic learning literacy kindergarten homework`),
  religion: words(`church churches pope bishop mosque temple religious faith prayer priest christian muslim jewish
    catholic cathedral pilgrims vatican saint worship holy`),
};

/** Words that say nothing about a topic: function words, numbers, time, people, common verbs. */
export const neutralWords: readonly string[] = words(`the a an of to in on for with at by from and or but is are was
  were be been being has have had it its this that these those as after before over under into about than then not
  no new says said say will would can could may might should more most less first last one two three four five six
  seven eight nine ten hundred thousand year years week weeks day days month months today yesterday tomorrow time
  people man men woman women child children city country countries world national international local state states
  group official officials report reports news he she they we you i his her their our my who what when where why how
  which there here up down out off again also only just all some many much other another such very still even back
  during while against between through without around near since until amid despite per percent high low big small
  large major top old young good bad best worst long short early late next former public private home side part end
  start set make makes made take takes took get gets got go goes went come comes came see seen know think want need
  use used help find found give given call called plan plans hold held meet meets met raise raises raised rise rises
  fall falls fell cut cuts hit hits open opens close closes stop halt halts pause paused fight fights slow slows
  after amid north south east west region area officials agree agreed deal deals talks announce announced`);

/** Continuation pieces, so that inflected forms of listed words tokenise as word + suffix. */
export const suffixPieces: readonly string[] = words(`##s ##es ##ed ##d ##ing ##er ##ers ##ly ##ion ##ions ##al
  ##ment ##ness ##ist ##ists ##ian ##ians ##ity ##y ##est ##ful ##able ##an ##n ##ese ##ish`);

/** Punctuation BERT's pre-tokenizer splits off as tokens of their own. */
export const punctuation: readonly string[] = [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"];

export const specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

/**
 * The vocabulary in id order: special tokens, characters and their continuations, punctuation,
 * suffixes, neutral words, then each topic group. Throws on a word listed twice.
 */
export function buildTinyBertVocabulary(): { tokens: string[]; groupOf: Map<string, string> } {
  const characters = [..."abcdefghijklmnopqrstuvwxyz0123456789"];
  const tokens: string[] = [...specialTokens, ...characters, ...characters.map((character) => `##${character}`), ...punctuation, ...suffixPieces];
  const seen = new Set(tokens);
  const groupOf = new Map<string, string>();
  const add = (word: string, group: string | null) => {
    if (seen.has(word)) {
      // Neutral words may repeat among themselves (a list written for reading); a topic word may not.
      if (group === null && !groupOf.has(word)) return;
      throw new Error(`"${word}" is listed twice in the tiny BERT vocabulary`);
    }
    seen.add(word);
    tokens.push(word);
    if (group !== null) groupOf.set(word, group);
  };
  for (const word of neutralWords) add(word, null);
  for (const [group, list] of Object.entries(topicGroups)) for (const word of list) add(word, group);
  return { tokens, groupOf };
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== "");
}
