import env from '#start/env'

/** Phase gates of DESIGN.md §1: the tables always exist, these turn routes and jobs on or off. */
const features = {
  intents: env.get('FEATURE_INTENTS', true),
  eventStore: env.get('FEATURE_EVENT_STORE', true),
}

export default features
