// Every GraphQL operation the panel sends. A test checks each against the served schema.

const ME = `
fragment Me on Operator {
  id firstName lastName email role status customStatusId statusSince nextStatus
  activeChatCount maxChats onCall afterChatWorkUntil
}`;

const CARD = `
fragment Card on Chat {
  id number title status direction source
  customer { id number displayName name phone email crmContactId }
  operator { id firstName }
  queue { id name }
  topic { id name }
  subtopic { id name }
  createdAt queuedAt acceptedAt closedAt invitationExpiresAt waitingSince
  lastMessage lastMessageBy lastMessageAt trafficLight muted crmUrl
  canReply requiresTemplate replyWindowExpiresAt
  participants { role state operator { id firstName } }
}`;

const MESSAGE = `
fragment Msg on Message {
  id chatId authorKind author { id firstName } text isWhisper createdAt
  deliveryState deliveryError
  attachments { id fileName contentType sizeBytes isImage url }
}`;

const DETAIL = `
fragment Detail on Chat {
  ...Card
  customer { description }
  closedBy { id firstName lastName }
  closedByKind
  variables { key value }
  tags
  notes { id text author { id firstName } createdAt updatedAt }
  previousChats { id title status createdAt closedAt lastMessage }
  contactId accountId activityId caseId caseNumber
  wrapUpReason { id name }
  result { id name }
  resultDetail rating ratingComment
  attachments { id fileName contentType sizeBytes isImage url createdAt }
  responsibleHistory { kind operator { id firstName } queue { id name } startedAt acceptedAt endedAt endReason }
}`;

const EVENT = `
fragment Event on WorkplaceEvent {
  seq kind chatId createdAt payload
  chat { ...Card }
  message { ...Msg }
}`;

export const INVITATION = `
query Invitation($token: String!) { invitation(token: $token) { email role expiresAt } }`;

export const ACCEPT_INVITATION = `
mutation AcceptInvitation($token: String!, $password: String!, $firstName: String!, $lastName: String!) {
  acceptInvitation(input: { token: $token, password: $password, firstName: $firstName, lastName: $lastName }) { token }
}`;

export const UPDATE_MY_PROFILE = `
mutation UpdateMyProfile($input: UpdateMyProfileInput!) {
  updateMyProfile(input: $input) { operator { ...Me } }
}${ME}`;

export const FINISH_AFTER_CHAT_WORK = `
mutation FinishAfterChatWork { finishAfterChatWork { operator { ...Me } } }${ME}`;

export const SIGN_IN = `
mutation SignIn($email: String!, $password: String!) {
  signIn(input: { email: $email, password: $password }) { token operator { ...Me } }
}${ME}`;

/** What the panel loads first; `workplaceEventSeq` before the lists, so nothing falls between. */
export const BOOT = `
query Boot {
  workplaceEventSeq
  serverTime
  me { ...Me }
  customStatuses { id name }
}${ME}`;

/** The queues' "Unassigned" lists: chats waiting there, and the bot's. */
const QUEUE_LISTS_FIELDS = `
fragment QueueListsFields on Query {
  unassigned: unassignedChats(first: 100) { nodes { ...Card } }
  withBot: botChats(first: 50) { nodes { ...Card } }
}`;

export const LISTS = `
query Lists {
  active: myChats(tab: ACTIVE) { ...Card }
  closed: myChats(tab: CLOSED) { ...Card }
  ...QueueListsFields
  serverTime
}${QUEUE_LISTS_FIELDS}${CARD}`;

export const ME_QUERY = `query Me { me { ...Me } serverTime }${ME}`;

export const EVENTS_SINCE = `
query Since($after: Int!) { workplaceEventsSince(after: $after) { ...Event } serverTime }
${EVENT}${CARD}${MESSAGE}`;

export const WORKPLACE_EVENTS = `
subscription Workplace($after: Int) { workplaceEvents(after: $after) { ...Event } }
${EVENT}${CARD}${MESSAGE}`;

/** The queues' "Unassigned" lists, read again on each QUEUES_CHANGED of `queueEvents`. */
export const QUEUE_LISTS = `query QueueLists { ...QueueListsFields }${QUEUE_LISTS_FIELDS}${CARD}`;

export const QUEUE_EVENTS = `
subscription Queues { queueEvents { kind chatId createdAt chat { ...Card } } }
${CARD}`;

export const CHAT_EVENTS = `
subscription ChatFeed($chatId: ID!, $after: Int) {
  chatEvents(chatId: $chatId, after: $after) { seq kind chat { ...Card } message { ...Msg } }
}${CARD}${MESSAGE}`;

export const CHAT = `
query Chat($id: ID!) { chat(id: $id) { ...Detail } }
${DETAIL}${CARD}`;

/**
 * A page of a conversation: forwards (`first` after `after`) or backwards from the end
 * (`last` before `before`), `from` a date to jump to.
 */
export const MESSAGES = `
query Messages($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $from: DateTime) {
  chat(id: $id) {
    id
    messages(first: $first, after: $after, last: $last, before: $before, from: $from) {
      edges { cursor node { ...Msg } }
      pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    }
  }
}${MESSAGE}`;

/** The days a conversation has messages on, in the panel's time zone (jump to a date). */
export const MESSAGE_DAYS = `
query MessageDays($id: ID!, $timeZone: String) { chat(id: $id) { id messageDays(timeZone: $timeZone) } }`;

export const SET_STATUS = `
mutation SetStatus($status: OperatorStatus!, $customStatusId: ID) {
  setMyStatus(input: { status: $status, customStatusId: $customStatusId }) { operator { ...Me } }
}${ME}`;

export const SCHEDULE_STATUS = `
mutation ScheduleStatus($status: OperatorStatus, $customStatusId: ID) {
  scheduleMyNextStatus(input: { status: $status, customStatusId: $customStatusId }) { operator { ...Me } }
}${ME}`;

export const UNBLOCK = `mutation Unblock { unblockMe { operator { ...Me } } }${ME}`;

export const REPORT_ACTIVITY = `mutation Activity { reportActivity { operator { id } } }`;

/** The chat mutations that take only `{ chatId }`. */
export const CHAT_ACTIONS = Object.fromEntries(
  ['acceptChat', 'declineChat', 'takeOverChat', 'acceptConference', 'endConference'].map((name) => [
    name,
    `mutation ${name[0].toUpperCase()}${name.slice(1)}($chatId: ID!) {
  ${name}(input: { chatId: $chatId }) { chat { ...Card } }
}${CARD}`,
  ]),
);

export const ASSIGN = `
mutation Assign($chatId: ID!, $operatorId: ID!) {
  assignChat(input: { chatId: $chatId, operatorId: $operatorId }) { chat { ...Card } }
}${CARD}`;

export const SEND = `
mutation Send($chatId: ID!, $text: String!, $whisper: Boolean!, $quickReplyId: ID, $attachmentIds: [ID!]!) {
  sendMessage(input: { chatId: $chatId, text: $text, whisper: $whisper, quickReplyId: $quickReplyId, attachmentIds: $attachmentIds }) {
    message { ...Msg }
  }
}${MESSAGE}`;

export const RETRY = `
mutation Retry($messageId: ID!) { retryMessage(input: { messageId: $messageId }) { message { ...Msg } } }
${MESSAGE}`;

export const QUICK_REPLIES = `
query QuickReplies($search: String, $chatId: ID!) {
  quickReplies(search: $search, chatId: $chatId) { id name approvedTemplate text filledText(chatId: $chatId) }
}`;

export const DICTIONARIES = `
query Dictionaries {
  wrapUpReasons { id name }
  chatResults { id name }
  topics { id name subtopics { id name } }
}`;

export const TRANSFER_TARGETS = `
query Targets($onlyAvailable: Boolean!, $search: String) {
  operators(onlyAvailable: $onlyAvailable, search: $search) { id firstName lastName status activeChatCount maxChats }
  queues(onlyAvailable: $onlyAvailable) { id name sizeLimit }
  botSchemes { id name }
}`;

export const TRANSFER = `
mutation Transfer($chatId: ID!, $toOperatorId: ID, $toQueueId: ID, $toSchemeId: ID, $wrapUpReasonId: ID) {
  transferChat(input: { chatId: $chatId, toOperatorId: $toOperatorId, toQueueId: $toQueueId, toSchemeId: $toSchemeId, wrapUpReasonId: $wrapUpReasonId }) {
    chat { ...Card }
  }
}${CARD}`;

export const CONFERENCE = `
mutation Conference($chatId: ID!, $operatorId: ID!) {
  inviteToConference(input: { chatId: $chatId, operatorId: $operatorId }) { chat { ...Card } }
}${CARD}`;

export const CLOSE = `
mutation Close($chatId: ID!, $wrapUpReasonId: ID!, $resultId: ID, $resultDetail: String) {
  closeChat(input: { chatId: $chatId, wrapUpReasonId: $wrapUpReasonId, resultId: $resultId, resultDetail: $resultDetail }) {
    chat { ...Card }
  }
}${CARD}`;

export const MUTE = `
mutation Mute($chatId: ID!, $muted: Boolean!) {
  muteCustomer(input: { chatId: $chatId, muted: $muted }) { chat { ...Card } }
}${CARD}`;

export const ADD_NOTE = `
mutation AddNote($chatId: ID!, $text: String!) { addNote(input: { chatId: $chatId, text: $text }) { note { id } } }`;

export const UPDATE_NOTE = `
mutation UpdateNote($noteId: ID!, $text: String!) { updateNote(input: { noteId: $noteId, text: $text }) { note { id } } }`;

export const DESCRIBE_CUSTOMER = `
mutation DescribeCustomer($chatId: ID!, $description: String) {
  describeCustomer(input: { chatId: $chatId, description: $description }) { chat { id } }
}`;

export const SET_TOPIC = `
mutation SetTopic($chatId: ID!, $topicId: ID, $subtopicId: ID) {
  setChatTopic(input: { chatId: $chatId, topicId: $topicId, subtopicId: $subtopicId }) { chat { ...Card } }
}${CARD}`;

export const SET_TAGS = `
mutation SetTags($chatId: ID!, $tags: [String!]!) {
  setChatTags(input: { chatId: $chatId, tags: $tags }) { chat { id tags } }
}`;

export const IDENTIFY = `
mutation Identify($chatId: ID!, $name: String, $phone: String, $email: String) {
  identifyCustomer(input: { chatId: $chatId, name: $name, phone: $phone, email: $email }) { contact { id name } }
}`;

export const LINK = `
mutation Link($chatId: ID!, $contactId: String, $accountId: String, $activityId: String, $caseId: String) {
  linkChat(input: { chatId: $chatId, contactId: $contactId, accountId: $accountId, activityId: $activityId, caseId: $caseId }) { chat { id } }
}`;

export const CREATE_ACTIVITY = `
mutation CreateActivity($chatId: ID!, $title: String) {
  createActivityFromChat(input: { chatId: $chatId, title: $title }) { activity { id title } }
}`;

export const CREATE_CASE = `
mutation CreateCase($chatId: ID!, $subject: String!) {
  createCaseFromChat(input: { chatId: $chatId, subject: $subject }) { case { id number } }
}`;

export const CRM_CASES = `
query Cases($contactId: ID!) { crmCases(contactId: $contactId) { id number subject status createdAt } }`;

export const CANDIDATES = `
query Candidates($to: String!) {
  recipientCandidates(to: $to) { kind address displayName provider gatewayId gateway channel { kind } }
}`;

export const SEND_OUTGOING = `
mutation Outgoing($to: String!, $kind: AddressKind, $gatewayId: ID!, $provider: String, $text: String!, $quickReplyId: ID) {
  sendOutgoingMessage(input: { to: $to, kind: $kind, gatewayId: $gatewayId, provider: $provider, text: $text, quickReplyId: $quickReplyId }) {
    chat { ...Card }
  }
}${CARD}`;

export const INTEGRATION_SLOT = `
query Slot($chatId: ID!) { integrationSlot(chatId: $chatId) { url origin } }`;

const OVERVIEW = `fragment Overview on LiveOverview {
  at
  queues { queue { id name } waitingCount oldestWaitSecs estimatedWaitSecs availableOperators activeChats }
  operators { operator { id firstName lastName role } status timeInStatusSecs activeChats maxChats onCall }
  lights { green yellow red grey }
  redChats { id number title waitingSince operator { id firstName } }
}`;

export const LIVE_OVERVIEW_EVENTS = `
subscription LiveOverview { liveOverviewEvents { seq overview { ...Overview } } }${OVERVIEW}`;

export const SET_OPERATOR_STATUS = `
mutation SetOperatorStatus($input: SetOperatorStatusInput!) {
  setOperatorStatus(input: $input) { operator { id status } }
}`;

const REPORT_ROW = `fragment ReportRow on ReportRow {
  key label count average p50 p90 distribution statuses { status seconds }
}`;

export const REPORT = `
query Report($input: ReportInput!) {
  report(input: $input) {
    kind groupBy from to timeZone
    rows { ...ReportRow }
    total { ...ReportRow }
  }
}
${REPORT_ROW}`;

export const HISTORY = `
query History($filter: ChatFilter, $first: Int, $after: String) {
  chats(filter: $filter, first: $first, after: $after) {
    edges { node { ...Card rating } }
    pageInfo { hasNextPage endCursor }
  }
}${CARD}`;

export const INVITATION_PREVIEW = `
query InvitationPreview($id: ID!) {
  chat(id: $id) { id recentMessages(count: 3) { id authorKind text } }
}`;

// ---- Administration (admins and owners) ---------------------------------------------------

const ADMIN_OPERATOR = `
fragment AdminOperator on Operator {
  id firstName lastName email role status maxChats
  queues { id name }
  skills { level skill { id name } }
}`;

export const ADMIN_OPERATORS = `
query AdminOperators { operators(onlyAvailable: false) { ...AdminOperator } }${ADMIN_OPERATOR}`;

export const INVITE_OPERATOR = `
mutation InviteOperator($input: InviteOperatorInput!) { inviteOperator(input: $input) { link } }`;

export const UPDATE_OPERATOR = `
mutation UpdateOperator($input: UpdateOperatorInput!) { updateOperator(input: $input) { operator { ...AdminOperator } } }${ADMIN_OPERATOR}`;

export const SET_OPERATOR_SKILLS = `
mutation SetOperatorSkills($input: SetOperatorSkillsInput!) { setOperatorSkills(input: $input) { operator { id } } }`;

const ADMIN_QUEUE = `
fragment AdminQueue on Queue {
  id name sizeLimit afterChatWorkSecs
  queuedReply outOfHoursReply workingHours { day opens closes } timeZone openNow
  skill { id name }
  members { id firstName lastName }
}`;

export const ADMIN_QUEUES = `
query AdminQueues { queues(onlyAvailable: false) { ...AdminQueue } }${ADMIN_QUEUE}`;

export const CREATE_QUEUE = `
mutation CreateQueue($input: CreateQueueInput!) { createQueue(input: $input) { queue { ...AdminQueue } } }${ADMIN_QUEUE}`;

export const UPDATE_QUEUE = `
mutation UpdateQueue($input: UpdateQueueInput!) { updateQueue(input: $input) { queue { ...AdminQueue } } }${ADMIN_QUEUE}`;

export const SET_QUEUE_MEMBERS = `
mutation SetQueueMembers($input: SetQueueMembersInput!) { setQueueMembers(input: $input) { queue { ...AdminQueue } } }${ADMIN_QUEUE}`;

export const ARCHIVE_QUEUE = `
mutation ArchiveQueue($input: ArchiveQueueInput!) { archiveQueue(input: $input) { queue { id archivedAt } } }`;

/** Every quick reply, unfilled: Administration lists them, New message picks a template. */
export const QUICK_REPLY_LIST = `
query QuickReplyList { quickReplies { id name text approvedTemplate queues { id name } } }`;

export const CREATE_QUICK_REPLY = `
mutation CreateQuickReply($input: CreateQuickReplyInput!) { createQuickReply(input: $input) { quickReply { id } } }`;

export const UPDATE_QUICK_REPLY = `
mutation UpdateQuickReply($input: UpdateQuickReplyInput!) { updateQuickReply(input: $input) { quickReply { id } } }`;

export const ARCHIVE_QUICK_REPLY = `
mutation ArchiveQuickReply($input: ArchiveQuickReplyInput!) { archiveQuickReply(input: $input) { quickReply { id } } }`;

export const ADMIN_CHANNELS = `
query AdminChannels { channels { id kind name provider gateway queueId botQueueId autoCloseAfterSecs createdAt } }`;

export const CREATE_CHANNEL = `
mutation CreateChannel($input: CreateChannelInput!) {
  createChannel(input: $input) { channel { id kind name } secret webhookUrl }
}`;

export const UPDATE_CHANNEL = `
mutation UpdateChannel($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id } } }`;

export const ARCHIVE_CHANNEL = `
mutation ArchiveChannel($input: ArchiveChannelInput!) { archiveChannel(input: $input) { channel { id } } }`;

/**
 * The four operations of a named, archivable dictionary: `list` (active entries), `create`,
 * `update` (a new name) and `archive`. `type` is the GraphQL type, `list` its query field.
 */
function dictionary(type, list, extra = '') {
  const one = type[0].toLowerCase() + type.slice(1);
  return {
    list: `query ${type}List { ${list} { id name ${extra} } }`,
    create: `mutation Create${type}($input: Create${type}Input!) { create${type}(input: $input) { ${one} { id } } }`,
    update: `mutation Update${type}($input: Update${type}Input!) { update${type}(input: $input) { ${one} { id } } }`,
    archive: `mutation Archive${type}($input: Archive${type}Input!) { archive${type}(input: $input) { ${one} { id } } }`,
  };
}

export const SKILLS = dictionary('Skill', 'skills');
export const WRAP_UP_REASONS = dictionary('WrapUpReason', 'wrapUpReasons');
export const CHAT_RESULTS = dictionary('ChatResult', 'chatResults');
export const TOPICS = dictionary('Topic', 'topics', 'parentId subtopics { id name }');
export const CUSTOM_STATUSES = dictionary('CustomStatus', 'customStatuses');
export const BOT_SCHEMES = dictionary('BotScheme', 'botSchemes');

const SETTINGS_FIELDS = `
  trafficLightEnabled yellowAfterSecs redAfterSecs countFromOperatorMessage
  invitationTimeoutSecs awayAfterMinutes afterChatWorkSecs defaultMaxChats requeueActiveChatsOnAway takeoverGreetingTemplate
  maskingEnabled unmaskedRoles
  frameAncestors crmChatUrlTemplate iframeUrlTemplate
  fileMaxBytes fileAllowedTypes
  chatRetentionDays eventRetentionDays deliveryLogRetentionDays receiptRetentionDays statusLogRetentionDays`;

export const ADMIN_SETTINGS = `
query AdminSettings { settings { ${SETTINGS_FIELDS} } }`;

export const UPDATE_SETTINGS = `
mutation UpdateSettings($input: UpdateSettingsInput!) { updateSettings(input: $input) { settings { ${SETTINGS_FIELDS} } } }`;

export const API_KEYS = `
query ApiKeys { apiKeys { id name scope prefix createdAt lastUsedAt revokedAt } }`;

export const CREATE_API_KEY = `
mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id name } } }`;

export const REVOKE_API_KEY = `
mutation RevokeApiKey($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { id revokedAt } } }`;

export const WEBHOOKS = `
query Webhooks { webhooks { id url events active createdAt } }`;

export const CREATE_WEBHOOK = `
mutation CreateWebhook($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url } } }`;

export const UPDATE_WEBHOOK = `
mutation UpdateWebhook($input: UpdateWebhookInput!) { updateWebhook(input: $input) { webhook { id } } }`;

export const ARCHIVE_WEBHOOK = `
mutation ArchiveWebhook($input: ArchiveWebhookInput!) { archiveWebhook(input: $input) { webhook { id } } }`;

export const WEBHOOK_DELIVERIES = `
query WebhookDeliveries($webhookId: ID, $first: Int, $after: String) {
  webhookDeliveries(webhookId: $webhookId, first: $first, after: $after) {
    nodes { id event chatId state attempts lastStatus lastError createdAt deliveredAt nextAttemptAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const RETRY_DELIVERY = `
mutation RetryDelivery($input: RetryDeliveryInput!) { retryDelivery(input: $input) { delivery { id state attempts } } }`;

export const CRM_CONNECTION = `
query CrmConnection {
  crmConnection {
    kind baseUrl identityUrl odataPath clientId hasClientSecret caseOriginId caseStatusId closeProcessName
    oauthClientId hasOauthClientSecret oauthScopes updatedAt
  }
}`;

export const UPDATE_CRM_CONNECTION = `
mutation UpdateCrmConnection($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }`;

export const TEST_CRM_CONNECTION = `
mutation TestCrmConnection { testCrmConnection { ok failure contact { id name } } }`;

export const ARCHIVE_OPERATOR = `
mutation ArchiveOperator($input: ArchiveOperatorInput!) { archiveOperator(input: $input) { operator { id status } } }`;
